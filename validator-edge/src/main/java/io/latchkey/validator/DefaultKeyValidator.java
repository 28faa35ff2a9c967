package io.latchkey.validator;

import io.latchkey.api.KeyStatus;
import io.latchkey.api.Scope;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHasher;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Format check → hash → local lookup → status → expiry → grace → scope, in that order; then, only for a key that
 * passed all of them, the rate limit, and only for one the rate limit admitted, the monthly quota. Authentication is settled before the limiter is asked, so nothing the limiter
 * does (or fails to do) can change it.
 */
final class DefaultKeyValidator implements KeyValidator {

    private final KeyReplica replica;
    private final KeyHasher hasher;
    private final Clock clock;
    private final Duration maxLag;
    private final RateLimiter rateLimiter;
    private final QuotaLimiter quotaLimiter;

    DefaultKeyValidator(KeyReplica replica, KeyHasher hasher, Clock clock, Duration maxLag, RateLimiter rateLimiter,
                        QuotaLimiter quotaLimiter) {
        this.replica = replica;
        this.hasher = hasher;
        this.clock = clock;
        this.maxLag = maxLag;
        this.rateLimiter = rateLimiter;
        this.quotaLimiter = quotaLimiter;
    }

    @Override
    public Decision validate(String presentedKey, String requiredScope) {
        Scope required = requiredScope == null || requiredScope.isBlank() ? null : Scope.parse(requiredScope);
        if (presentedKey == null || presentedKey.length() > KeyFormat.MAX_LENGTH) {
            return Decision.denied(Decision.Status.MALFORMED);
        }
        // One conversion serves the format check and the hash.
        byte[] ascii = presentedKey.getBytes(StandardCharsets.US_ASCII);
        if (!KeyFormat.isWellFormedAscii(ascii)) {
            return Decision.denied(Decision.Status.MALFORMED);
        }
        ActiveKeyEntry entry = replica.lookup(hasher.hash(ascii));
        if (entry == null) {
            return Decision.denied(Decision.Status.NOT_FOUND);
        }
        long now = clock.millis();
        Decision.Status status;
        if (entry.status() == KeyStatus.REVOKED) {
            status = Decision.Status.REVOKED;
        } else if (entry.status() == KeyStatus.EXPIRED
                || entry.expiresAt() != null && now >= entry.expiresAt().toEpochMilli()) {
            status = Decision.Status.EXPIRED;
        } else if (entry.secretValidUntil() != null && now >= entry.secretValidUntil().toEpochMilli()) {
            // A secret replaced by rotation whose grace period is over is as dead as a revoked one.
            status = Decision.Status.REVOKED;
        } else if (required != null && !Scope.anyGrants(entry.scopes(), required)) {
            status = Decision.Status.INSUFFICIENT_SCOPE;
        } else {
            status = Decision.Status.VALID;
        }
        Decision decision = new Decision(status, entry.keyId(), entry.developerId(), entry.scopes(),
                entry.expiresAt());
        if (status == Decision.Status.VALID && rateLimiter != null && entry.rateLimit() != null) {
            decision = decision.withRateLimit(rateLimiter.acquire(entry.keyId(), entry.rateLimit()));
        }
        // After the rate limit, so that the quota counts admitted requests only.
        if (decision.allowed() && quotaLimiter != null && entry.monthlyQuota() > 0) {
            decision = decision.withQuota(quotaLimiter.consume(entry.keyId(), entry.monthlyQuota(),
                    Instant.ofEpochMilli(now)));
        }
        return decision;
    }

    @Override
    public KeyReplica replica() {
        return replica;
    }

    @Override
    public boolean isCurrent() {
        if (!replica.isReady()) {
            return false;
        }
        if (maxLag == null) {
            return true;
        }
        Duration lag = lag();
        return lag != null && lag.compareTo(maxLag) <= 0;
    }

    @Override
    public Duration lag() {
        Instant asOf = replica.asOf();
        // A writer's clock slightly ahead of ours is no lag, not a negative one.
        return asOf == null ? null : Duration.ofMillis(Math.max(0, clock.millis() - asOf.toEpochMilli()));
    }
}
