package io.latchkey.validator.redis;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.QuotaLimiter;
import io.latchkey.validator.QuotaState;
import io.latchkey.validator.RateLimiter;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.util.UUID;

/**
 * Runs the limiters' Redis calls on a key of its own before an edge takes traffic. A fresh JVM's first call, its code
 * not yet compiled, took 20 ms and more, past the budget, so the first request after each start was decided offline:
 * with no count known for its key, a used-up quota admitted one more request after every restart. The warm-up's
 * decisions are not counted as degraded, and what they left in Redis and in the limiters is removed.
 */
public final class RedisWarmUp {

    private static final int ROUNDS = 1_000;
    private static final RateLimit LIMIT = new RateLimit(RateLimit.MAX_REQUESTS, 1, RateLimit.MAX_REQUESTS);

    private RedisWarmUp() {
    }

    /**
     * Asks {@code rateLimiter} and {@code quotaLimiter} (either may be null) a thousand times each, once the link's
     * first connection is made, for at most {@code atMost} in all. It stops early while Redis is unreachable or
     * paused: an edge started without Redis starts at once and decides from local buckets, as it would anyway.
     *
     * @return the rounds run, each the rate limit and the quota together, then each alone
     */
    public static int run(RedisLink link, RateLimiter rateLimiter, QuotaLimiter quotaLimiter, Duration atMost) {
        String keyId = "warm-up-" + UUID.randomUUID();
        YearMonth month = QuotaState.month(Instant.now());
        long degradedBefore = link.degraded();
        long until = System.nanoTime() + atMost.toNanos();
        int rounds = 0;
        if (!link.awaitConnection(until)) {
            return rounds;
        }
        try {
            while (rounds < ROUNDS && System.nanoTime() - until < 0 && link.healthy()) {
                Instant now = Instant.now();
                if (rateLimiter != null && quotaLimiter != null) {
                    rateLimiter.acquireWithQuota(keyId, LIMIT, quotaLimiter, RateLimit.MAX_REQUESTS, now);
                }
                if (rateLimiter != null) {
                    rateLimiter.acquire(keyId, LIMIT);
                }
                if (quotaLimiter != null) {
                    quotaLimiter.consume(keyId, RateLimit.MAX_REQUESTS, now);
                }
                rounds++;
            }
        } finally {
            forget(keyId, rateLimiter, quotaLimiter);
            link.call(redis -> redis.del(ExactRedisRateLimiter.bucketKey(keyId),
                    RedisQuotaLimiter.counterKey(keyId, month)));
            link.uncountDegraded(link.degraded() - degradedBefore);
        }
        return rounds;
    }

    /** Drops the limiters' state for the warm-up key, without giving its leases back to the keys deleted next. */
    private static void forget(String keyId, RateLimiter rateLimiter, QuotaLimiter quotaLimiter) {
        if (rateLimiter instanceof LocalSyncRateLimiter localSync) {
            localSync.forget(keyId);
        }
        if (quotaLimiter instanceof RedisQuotaLimiter counter) {
            counter.forget(keyId);
        }
    }
}
