package io.latchkey.validator;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The answer to one validation. Identity fields ({@code keyId}, {@code developerId}, {@code scopes}, {@code expiresAt})
 * are set whenever the key was found, including for REVOKED, EXPIRED, SUPERSEDED and INSUFFICIENT_SCOPE, so callers can
 * log and count; callers must not reveal them to the presenter of a denied key. {@code rateLimit} is set when a rate
 * limiter was asked, which happens only for a key that would otherwise be VALID and whose quota, if it has one, is not
 * known to be used up (so a QUOTA_EXCEEDED decision may carry none); {@code quota} when a quota limiter was asked,
 * which happens only for a key that would otherwise be VALID after its rate limit, or whose quota is known to be used
 * up. {@code secretValidUntil}, an identity field too, is when the presented secret stops authenticating because a
 * rotation replaced it: set while it is in its grace period (and for SUPERSEDED, once that is over), null for a key's
 * current secret; a caller can tell the client to switch to the new one before then.
 */
public record Decision(Status status, String keyId, String developerId, List<String> scopes, Instant expiresAt,
                       RateLimitState rateLimit, QuotaState quota, Instant secretValidUntil) {

    /** What usage counts a request admitted on a secret a rotation replaced, in its grace period, as. */
    public static final String VALID_PREVIOUS_SECRET = "valid_previous_secret";

    /**
     * {@code SUPERSEDED}: a secret a rotation replaced, whose grace period is over, of a key that is neither revoked
     * nor expired. It authenticates no more than a revoked key, and is told apart from one only where the key's owner
     * looks (its usage), not in any answer. Last, as statuses are added: their order numbers them.
     */
    public enum Status {
        VALID, MALFORMED, NOT_FOUND, REVOKED, EXPIRED, INSUFFICIENT_SCOPE, RATE_LIMITED, QUOTA_EXCEEDED, SUPERSEDED;

        /** Made once: usage names a status on every decision. */
        private final String usageName = name().toLowerCase(Locale.ROOT);

        /** The status as usage counts it: {@code valid}, {@code insufficient_scope}, {@code not_found}, …. */
        public String usageName() {
            return usageName;
        }
    }

    public Decision {
        Objects.requireNonNull(status, "status");
        scopes = scopes == null ? List.of() : List.copyOf(scopes);
    }

    public Decision(Status status, String keyId, String developerId, List<String> scopes, Instant expiresAt,
                    RateLimitState rateLimit, QuotaState quota) {
        this(status, keyId, developerId, scopes, expiresAt, rateLimit, quota, null);
    }

    public Decision(Status status, String keyId, String developerId, List<String> scopes, Instant expiresAt,
                    RateLimitState rateLimit) {
        this(status, keyId, developerId, scopes, expiresAt, rateLimit, null, null);
    }

    public Decision(Status status, String keyId, String developerId, List<String> scopes, Instant expiresAt) {
        this(status, keyId, developerId, scopes, expiresAt, null, null, null);
    }

    static Decision denied(Status status) {
        return new Decision(status, null, null, List.of(), null);
    }

    Decision withRateLimit(RateLimitState state) {
        return new Decision(state.allowed() ? status : Status.RATE_LIMITED, keyId, developerId, scopes, expiresAt,
                state, quota, secretValidUntil);
    }

    Decision withQuota(QuotaState state) {
        return new Decision(state.allowed() ? status : Status.QUOTA_EXCEEDED, keyId, developerId, scopes, expiresAt,
                rateLimit, state, secretValidUntil);
    }

    Decision withLimits(RateAndQuotaState states) {
        Decision rateLimited = states.rateLimit() == null ? this : withRateLimit(states.rateLimit());
        return states.quota() == null ? rateLimited : rateLimited.withQuota(states.quota());
    }

    public boolean allowed() {
        return status == Status.VALID;
    }

    /**
     * The decision as usage counts it: its status's {@link Status#usageName}, but {@value #VALID_PREVIOUS_SECRET} for a
     * valid decision on a secret a rotation replaced, in its grace period, so that a key's owner can see whether the
     * secret it replaced (because it leaked, say) was still used.
     */
    public String usageOutcome() {
        return status == Status.VALID && secretValidUntil != null ? VALID_PREVIOUS_SECRET : status.usageName();
    }

    /** True for the outcomes that must look identical to an outsider: the key does not authenticate. */
    public boolean unauthenticated() {
        return switch (status) {
            case MALFORMED, NOT_FOUND, REVOKED, EXPIRED, SUPERSEDED -> true;
            case VALID, INSUFFICIENT_SCOPE, RATE_LIMITED, QUOTA_EXCEEDED -> false;
        };
    }
}
