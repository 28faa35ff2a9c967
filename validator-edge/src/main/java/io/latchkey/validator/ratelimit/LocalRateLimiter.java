package io.latchkey.validator.ratelimit;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.RateLimitState;
import io.latchkey.validator.RateLimiter;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * Token buckets in this JVM only: exact for one process, and what the Redis limiters fall back to when Redis is
 * unreachable. With N processes sharing a key's traffic, up to N times the limit is admitted.
 */
public final class LocalRateLimiter implements RateLimiter {

    private final ConcurrentMap<String, TokenBucket> buckets = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;

    private LocalRateLimiter(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    public static LocalRateLimiter create() {
        return new LocalRateLimiter(System::nanoTime);
    }

    /** With a controllable clock, so tests do not sleep. */
    public static LocalRateLimiter withTicker(LongSupplier nanoTime) {
        return new LocalRateLimiter(nanoTime);
    }

    @Override
    public RateLimitState acquire(String keyId, RateLimit limit) {
        return take(keyId, limit, 1);
    }

    /** Takes {@code cost} tokens at once (all or none). */
    public RateLimitState take(String keyId, RateLimit limit, long cost) {
        TokenBucket bucket = buckets.computeIfAbsent(keyId, id -> new TokenBucket());
        synchronized (bucket) {
            return bucket.take(limit, nanoTime.getAsLong(), cost);
        }
    }
}
