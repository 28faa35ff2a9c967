package io.latchkey.support.security;

import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.validator.Authentication;
import io.latchkey.validator.Decision;
import io.latchkey.validator.KeyValidator;
import java.time.Duration;

/**
 * Authenticates a developer's own key for the management and query APIs with the validator embedded in this
 * service, on this member's replica: the key must be VALID with the {@code admin} scope. Fails closed: while the
 * replica is not current (still filling, or further behind the event log than its bound) no key is admitted. A secret
 * replaced by a rotation is refused here during its grace period, which is for traffic: one that leaked must not be
 * able to rotate the key again and cut its owner's new secret short. No rate limiter: the key's own rate limit is for
 * traffic (the command side bounds a developer's changes with an allowance of its own).
 *
 * <p>Given the key streams' {@link KeyVersions}, a key is decided only on a replica entry as new as its stream: right
 * after a rotation, a scope change or an expiry was answered, the entry may still show the key as it was, and the old
 * secret or the old admin scope must not act again in that moment; nor should a scope just given or a renewal just
 * answered be refused. It waits for the entry (a few milliseconds as a rule, 2 s at most) and then decides on it;
 * still behind then, it is unavailable. A new secret has no entry to wait on until it arrives (401 until then).
 */
public final class DeveloperKeyAuthenticator {

    public static final String REQUIRED_SCOPE = "admin";

    public enum Verdict { AUTHENTICATED, UNAUTHENTICATED, FORBIDDEN, UNAVAILABLE }

    /** {@code caller} is set only when AUTHENTICATED. */
    public record Outcome(Verdict verdict, Caller caller) {
    }

    /** How long a request waits for the replica to show its key's newest change. */
    private static final Duration CATCH_UP = Duration.ofSeconds(2);
    private static final long POLL_MILLIS = 2;

    private static final Outcome UNAUTHENTICATED = new Outcome(Verdict.UNAUTHENTICATED, null);
    private static final Outcome UNAVAILABLE = new Outcome(Verdict.UNAVAILABLE, null);

    private final KeyValidator validator;
    private final KeyVersions versions;

    private DeveloperKeyAuthenticator(KeyValidator validator, KeyVersions versions) {
        this.validator = validator;
        this.versions = versions;
    }

    /**
     * @param validator the service's validator ({@link KeyValidator#authenticate} takes nothing from its limiters, so
     *                  the keys' own limits stay for their traffic)
     * @param versions  where the keys' streams can be read; null to decide on the replica alone
     */
    public static DeveloperKeyAuthenticator over(KeyValidator validator, KeyVersions versions) {
        return new DeveloperKeyAuthenticator(validator, versions);
    }

    public Outcome authenticate(String presented) {
        Authentication authentication = validator.authenticate(presented, REQUIRED_SCOPE);
        Outcome outcome = decide(authentication);
        if (versions == null || !mayChange(authentication, outcome)) {
            return outcome;
        }
        long latest;
        try {
            latest = versions.latest(authentication.decision().keyId());
        } catch (RuntimeException storeUnreachable) {
            return UNAVAILABLE;
        }
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        while (authentication.entry().version() < latest) {
            if (System.nanoTime() - deadline > 0) {
                return UNAVAILABLE;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return UNAVAILABLE;
            }
            authentication = validator.authenticate(presented, REQUIRED_SCOPE);
            outcome = decide(authentication);
            if (!mayChange(authentication, outcome)) {
                return outcome;
            }
        }
        return outcome;
    }

    /**
     * An answer a newer entry of the same key could change: an admission, a key without {@code admin} (given it since)
     * or expired (renewed since). A revocation is final, a secret rotated out never current again, an unknown secret
     * has no key to ask about, and a replica not current decides nothing.
     */
    private static boolean mayChange(Authentication authentication, Outcome outcome) {
        Decision.Status status = authentication.decision().status();
        return authentication.entry() != null && !rotatedOut(authentication.entry())
                && outcome.verdict() != Verdict.UNAVAILABLE && (outcome.verdict() == Verdict.AUTHENTICATED
                || outcome.verdict() == Verdict.FORBIDDEN || status == Decision.Status.EXPIRED);
    }

    private Outcome decide(Authentication authentication) {
        Decision decision = authentication.decision();
        // Settled without the replica: a mistyped operator token stays a plain 401 while the replica is filling.
        if (decision.status() == Decision.Status.MALFORMED) {
            return UNAUTHENTICATED;
        }
        if (!validator.isCurrent()) {
            return UNAVAILABLE;
        }
        // A secret a rotation replaced is 401 whatever its scopes, as an unknown one is.
        if (authentication.entry() != null && rotatedOut(authentication.entry())) {
            return UNAUTHENTICATED;
        }
        return switch (decision.status()) {
            case VALID -> new Outcome(Verdict.AUTHENTICATED,
                    Caller.developer(decision.developerId(), decision.keyId()));
            case INSUFFICIENT_SCOPE -> new Outcome(Verdict.FORBIDDEN, null);
            // RATE_LIMITED and QUOTA_EXCEEDED cannot happen without limiters; if they ever did, they must not admit.
            case MALFORMED, NOT_FOUND, REVOKED, EXPIRED, SUPERSEDED, RATE_LIMITED, QUOTA_EXCEEDED -> UNAUTHENTICATED;
        };
    }

    /** A secret a rotation replaced (in its grace period, or past it on an expired key): its entry says until when. */
    private static boolean rotatedOut(ActiveKeyEntry entry) {
        return entry.secretValidUntil() != null;
    }
}
