package io.latchkey.validator.ratelimit;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.RateLimitState;
import io.latchkey.validator.RateLimiter;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Token buckets in this JVM only: exact for one process, and what the Redis limiters fall back to when Redis is
 * unreachable. With N processes sharing a key's traffic, up to N times the limit is admitted. A bucket left unused
 * until it is full again is dropped (it would start full anyway), off the caller's thread, whenever the number of
 * buckets has doubled since the last such sweep, so that keys used once do not stay for good.
 */
public final class LocalRateLimiter implements RateLimiter {

    /** Below this many buckets none is dropped. */
    static final int SWEEP_FLOOR = 4_096;

    private final ConcurrentMap<String, TokenBucket> buckets = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;
    private final Executor sweeper;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private volatile int sweepAbove = SWEEP_FLOOR;

    LocalRateLimiter(LongSupplier nanoTime, Executor sweeper) {
        this.nanoTime = nanoTime;
        this.sweeper = sweeper;
    }

    public static LocalRateLimiter create() {
        return withTicker(System::nanoTime);
    }

    /** With a controllable clock, so tests do not sleep. */
    public static LocalRateLimiter withTicker(LongSupplier nanoTime) {
        return new LocalRateLimiter(nanoTime, ForkJoinPool.commonPool());
    }

    @Override
    public RateLimitState acquire(String keyId, RateLimit limit) {
        return take(keyId, limit, 1);
    }

    /** Takes {@code cost} tokens at once (all or none). */
    public RateLimitState take(String keyId, RateLimit limit, long cost) {
        return onBucket(keyId, bucket -> bucket.take(limit, nanoTime.getAsLong(), cost));
    }

    /**
     * Sets the key's bucket to the whole tokens a shared bucket of the same limit had left, so that decisions made here
     * while the shared one cannot be asked go on from where it stood rather than from a full bucket.
     */
    public void follow(String keyId, RateLimit limit, long remaining) {
        onBucket(keyId, bucket -> {
            bucket.set(limit, nanoTime.getAsLong(), remaining);
            return null;
        });
    }

    /** {@code use} applied to the key's bucket under its lock; a bucket the sweep dropped meanwhile is made anew. */
    private <T> T onBucket(String keyId, Function<TokenBucket, T> use) {
        while (true) {
            TokenBucket bucket = bucket(keyId);
            synchronized (bucket) {
                if (!bucket.dropped) {
                    return use.apply(bucket);
                }
            }
        }
    }

    /** Buckets held; for tests. */
    int buckets() {
        return buckets.size();
    }

    private TokenBucket bucket(String keyId) {
        TokenBucket bucket = buckets.get(keyId);
        if (bucket != null) {
            return bucket;
        }
        bucket = buckets.computeIfAbsent(keyId, id -> new TokenBucket());
        if (buckets.size() > sweepAbove && sweeping.compareAndSet(false, true)) {
            sweeper.execute(this::sweep);
        }
        return bucket;
    }

    private void sweep() {
        try {
            long now = nanoTime.getAsLong();
            buckets.forEach((keyId, bucket) -> {
                synchronized (bucket) {
                    if (bucket.fullBy(now)) {
                        // Marked first: a caller that found it before the removal takes a new one instead.
                        bucket.dropped = true;
                        buckets.remove(keyId, bucket);
                    }
                }
            });
            sweepAbove = Math.max(SWEEP_FLOOR, 2 * buckets.size());
        } finally {
            sweeping.set(false);
        }
    }
}
