package io.latchkey.validator;

import io.latchkey.api.RateLimit;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Takes one token from a key's bucket. Implementations are thread-safe and never throw for a backend failure: they
 * decide from what they have locally instead, so a lost rate-limit backend never refuses or admits a key the
 * replica did not. Buckets are named by key id, never by anything derived from the secret.
 */
public interface RateLimiter {

    /** Takes a token for {@code keyId} under {@code limit}; the limit may change between calls and applies at once. */
    RateLimitState acquire(String keyId, RateLimit limit);

    /**
     * As {@link #acquire}, for callers that must not block (an event loop): limiters that wait on a backend override
     * this to complete when it answers, within their budget. The stage never completes exceptionally for a backend
     * failure.
     */
    default CompletionStage<RateLimitState> acquireAsync(String keyId, RateLimit limit) {
        return CompletableFuture.completedFuture(acquire(keyId, limit));
    }

    /**
     * Takes a token for {@code keyId} and, only when it got one, counts the request against the key's monthly quota
     * in {@code quotaLimiter}: {@link #acquire} and then {@link QuotaLimiter#consume}. A quota known to be used up
     * ({@link QuotaLimiter#usedUp}) refuses the request before any token is taken. A limiter whose backend also
     * holds {@code quotaLimiter}'s counts overrides this to decide both in one call ({@code ExactRedisRateLimiter},
     * with {@code RedisQuotaLimiter.exact} on the same {@code RedisLink}); a limiter that wraps another must pass this
     * on, or the two are asked in turn.
     */
    default RateAndQuotaState acquireWithQuota(String keyId, RateLimit limit, QuotaLimiter quotaLimiter,
                                               long requestsPerMonth, Instant now) {
        QuotaState usedUp = quotaLimiter.usedUp(keyId, requestsPerMonth, now);
        if (usedUp != null) {
            return RateAndQuotaState.usedUp(usedUp);
        }
        RateLimitState rateLimit = acquire(keyId, limit);
        return new RateAndQuotaState(rateLimit,
                rateLimit.allowed() ? quotaLimiter.consume(keyId, requestsPerMonth, now) : null);
    }

    /** As {@link #acquireWithQuota}, for callers that must not block: see {@link #acquireAsync}. */
    default CompletionStage<RateAndQuotaState> acquireWithQuotaAsync(String keyId, RateLimit limit,
                                                                    QuotaLimiter quotaLimiter, long requestsPerMonth,
                                                                    Instant now) {
        QuotaState usedUp = quotaLimiter.usedUp(keyId, requestsPerMonth, now);
        if (usedUp != null) {
            return CompletableFuture.completedFuture(RateAndQuotaState.usedUp(usedUp));
        }
        return acquireAsync(keyId, limit).thenCompose(rateLimit -> rateLimit.allowed()
                ? quotaLimiter.consumeAsync(keyId, requestsPerMonth, now)
                        .thenApply(quota -> new RateAndQuotaState(rateLimit, quota))
                : CompletableFuture.completedFuture(new RateAndQuotaState(rateLimit, null)));
    }
}
