package io.latchkey.validator.ratelimit;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.RateLimitState;

/**
 * One key's bucket: {@code capacity} tokens, refilled continuously at {@code limit / period}. Not thread-safe on its
 * own; {@link LocalRateLimiter} serialises access per bucket.
 */
final class TokenBucket {

    private double tokens = -1;
    private long lastNanos;
    /** The capacity and refill rate last used, by which {@link #fullBy} tells an idle bucket. */
    private double capacity;
    private double perNano;
    /** Set, under the bucket's lock, when the limiter dropped it: it must not be used any more. */
    boolean dropped;

    RateLimitState take(RateLimit limit, long nowNanos, long cost) {
        refill(limit, nowNanos);
        boolean allowed = tokens >= cost;
        if (allowed) {
            tokens -= cost;
        }
        return state(allowed, limit, tokens, perNano);
    }

    /** Holds {@code remaining} tokens from {@code nowNanos} on (at most the capacity). */
    void set(RateLimit limit, long nowNanos, long remaining) {
        refill(limit, nowNanos);
        tokens = Math.max(0, Math.min(capacity, remaining));
    }

    /** Whether it has had time to fill up since it was last used (or was never used): then it is as good as new. */
    boolean fullBy(long nowNanos) {
        return tokens < 0 || nowNanos > lastNanos && tokens + (nowNanos - lastNanos) * perNano >= capacity;
    }

    private void refill(RateLimit limit, long nowNanos) {
        capacity = limit.capacity();
        perNano = limit.limit() / (limit.periodSeconds() * 1e9);
        if (tokens < 0) {
            tokens = capacity;
            // nanoTime may be negative: the first reading is the start, not 0.
            lastNanos = nowNanos;
        } else if (nowNanos > lastNanos) {
            tokens = Math.min(capacity, tokens + (nowNanos - lastNanos) * perNano);
        } else {
            tokens = Math.min(capacity, tokens);
        }
        lastNanos = Math.max(lastNanos, nowNanos);
    }

    static RateLimitState state(boolean allowed, RateLimit limit, double tokens, double perNano) {
        long retryAfter = tokens >= 1 ? 0 : ceilSeconds((1 - tokens) / perNano);
        long reset = ceilSeconds((limit.capacity() - tokens) / perNano);
        return new RateLimitState(allowed, limit.limit(), limit.periodSeconds(), (long) Math.floor(tokens), reset,
                retryAfter);
    }

    private static long ceilSeconds(double nanos) {
        return (long) Math.ceil(Math.max(0, nanos) / 1e9);
    }
}
