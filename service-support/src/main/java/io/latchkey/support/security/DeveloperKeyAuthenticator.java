package io.latchkey.support.security;

import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.validator.Authentication;
import io.latchkey.validator.Decision;
import io.latchkey.validator.KeyReplica;
import io.latchkey.validator.KeyValidator;
import java.time.Clock;
import java.time.Duration;

/**
 * Authenticates a developer's own key for the management and query APIs with the validator embedded in this
 * service, on this member's replica: the key must be VALID with the {@code admin} scope. Fails closed: while the
 * replica is not current (still filling, or further behind the event log than its bound) no key is admitted. A secret
 * replaced by a rotation is refused here during its grace period, which is for traffic: one that leaked must not be
 * able to rotate the key again and cut its owner's new secret short. No rate limiter: the key's own rate limit is for
 * traffic (the command side bounds a developer's changes with an allowance of its own).
 */
public final class DeveloperKeyAuthenticator {

    public static final String REQUIRED_SCOPE = "admin";

    public enum Verdict { AUTHENTICATED, UNAUTHENTICATED, FORBIDDEN, UNAVAILABLE }

    /** {@code caller} is set only when AUTHENTICATED. */
    public record Outcome(Verdict verdict, Caller caller) {
    }

    private static final Outcome UNAUTHENTICATED = new Outcome(Verdict.UNAUTHENTICATED, null);

    private final KeyValidator validator;

    private DeveloperKeyAuthenticator(KeyValidator validator) {
        this.validator = validator;
    }

    /**
     * @param replica the member's replica (the one its embedded validator reads)
     * @param maxLag  the same bound the service's validator keeps; null for none
     */
    public static DeveloperKeyAuthenticator over(KeyReplica replica, KeyHasher hasher, Clock clock, Duration maxLag) {
        return new DeveloperKeyAuthenticator(KeyValidator.builder()
                .replica(replica).hasher(hasher).clock(clock).maxLag(maxLag).build());
    }

    public Outcome authenticate(String presented) {
        Authentication authentication = validator.authenticate(presented, REQUIRED_SCOPE);
        Decision decision = authentication.decision();
        // Settled without the replica: a mistyped operator token stays a plain 401 while the replica is filling.
        if (decision.status() == Decision.Status.MALFORMED) {
            return UNAUTHENTICATED;
        }
        if (!validator.isCurrent()) {
            return new Outcome(Verdict.UNAVAILABLE, null);
        }
        return switch (decision.status()) {
            case VALID -> rotatedOut(authentication.entry()) ? UNAUTHENTICATED
                    : new Outcome(Verdict.AUTHENTICATED, Caller.developer(decision.developerId(), decision.keyId()));
            case INSUFFICIENT_SCOPE -> new Outcome(Verdict.FORBIDDEN, null);
            // RATE_LIMITED and QUOTA_EXCEEDED cannot happen without limiters; if they ever did, they must not admit.
            case MALFORMED, NOT_FOUND, REVOKED, EXPIRED, SUPERSEDED, RATE_LIMITED, QUOTA_EXCEEDED -> UNAUTHENTICATED;
        };
    }

    /** A secret a rotation replaced, still in its grace period: its entry carries when that ends. */
    private static boolean rotatedOut(ActiveKeyEntry entry) {
        return entry.secretValidUntil() != null;
    }
}
