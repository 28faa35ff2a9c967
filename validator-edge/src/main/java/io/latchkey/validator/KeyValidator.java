package io.latchkey.validator;

import io.latchkey.api.RateLimit;
import io.latchkey.api.secret.KeyFormat;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Validates presented keys against a local replica. Thread-safe; authentication does no I/O, and only a rate or
 * quota limiter backed by Redis (when configured) waits on it, within its budget: {@link #validateAsync} does not.
 *
 * <pre>{@code
 * KeyValidator validator = KeyValidator.builder()
 *         .replica(HazelcastKeyReplica.of(hazelcastInstance))
 *         .maxLag(Duration.ofSeconds(10))
 *         .build();
 * // A missing or malformed key needs no replica: canDecide is true for it, and validate refuses it.
 * Decision decision = validator.canDecide(presentedKey)
 *         ? validator.validate(presentedKey, "orders:read")
 *         : fallBackOrRefuse();
 * }</pre>
 */
public interface KeyValidator {

    /**
     * Decides whether {@code presentedKey} may act with {@code requiredScope}.
     *
     * @param presentedKey  the key exactly as the client sent it; may be null or garbage (then MALFORMED)
     * @param requiredScope {@code read}, {@code orders:write}, …; null checks authentication only
     * @throws IllegalArgumentException    when {@code requiredScope} is not a valid scope, blank included: that is the
     *                                     caller's configuration error, not the key's
     * @throws ReplicaUnavailableException when the replica's member has shut down since {@link #canDecide} was asked
     */
    Decision validate(String presentedKey, String requiredScope);

    /**
     * As {@link #validate}, for callers that must not block (an event loop): the stage completes when the limiters
     * have answered, at once when none waits on a backend. Throws, rather than completing exceptionally, for an invalid
     * {@code requiredScope}.
     */
    default CompletionStage<Decision> validateAsync(String presentedKey, String requiredScope) {
        return CompletableFuture.completedFuture(validate(presentedKey, requiredScope));
    }

    /**
     * Authentication alone, as {@link #validate} makes it but without asking any limiter, with the entry it was made
     * from: for callers that need the key's settings beside the decision, such as the query side's answer to an edge.
     */
    Authentication authenticate(String presentedKey, String requiredScope);

    /**
     * Applies this validator's rate and quota limiters to a decision made elsewhere, such as the query side's while
     * this replica is not current, under the key's limits as that side found them ({@code rateLimit} null for none,
     * {@code monthlyQuota} 0 for none): a request answered from elsewhere is counted and limited as one answered here.
     * A refusal is returned as it is.
     */
    CompletionStage<Decision> limitAsync(Decision decided, RateLimit rateLimit, long monthlyQuota);

    /** The replica this validator reads. */
    KeyReplica replica();

    /**
     * True when this validator's decisions can be trusted: the replica is complete and no further behind the event
     * log than {@link KeyValidatorBuilder#maxLag} (unless that was set to none). It turns false again while this
     * member is cut off from its writers, and while a split-brain merge refills its replica.
     */
    boolean isCurrent();

    /**
     * Why {@link #isCurrent()} would answer false now, in a sentence for an operator (incomplete, hashing with another
     * pepper than the installation's, or too far behind the event log); null while it would answer true.
     */
    default String whyNotCurrent() {
        return isCurrent() ? null : "it is not current";
    }

    /**
     * True when this validator's decision about {@code presentedKey} can be trusted now: it {@link #isCurrent()}, or
     * the key is missing or malformed, which is refused without the replica (MALFORMED) however far behind it is.
     */
    default boolean canDecide(String presentedKey) {
        return isCurrent() || presentedKey == null || !KeyFormat.isWellFormed(presentedKey);
    }

    /** How far the replica is behind the event log as far as it can tell: now minus {@link KeyReplica#asOf()}; null when unknown. */
    Duration lag();

    static KeyValidatorBuilder builder() {
        return new KeyValidatorBuilder();
    }
}
