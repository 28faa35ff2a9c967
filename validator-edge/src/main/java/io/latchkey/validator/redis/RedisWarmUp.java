package io.latchkey.validator.redis;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.QuotaLimiter;
import io.latchkey.validator.QuotaState;
import io.latchkey.validator.RateLimiter;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Runs the limiters' Redis calls on a key of its own before an edge takes traffic. A fresh JVM's first call, its code
 * not yet compiled, took 20 ms and more, past the budget, so the first request after each start was decided offline:
 * with no count known for its key, a used-up quota admitted one more request after every restart. The warm-up's
 * decisions are not counted as degraded, and what they leave in Redis and in the Redis limiters' leases and counts is
 * removed.
 */
public final class RedisWarmUp {

    /**
     * Most of a cold call's time is its classes loading and its code's first runs: a first decision took 21.5 ms cold
     * and 1.7 ms after ten rounds (a probe of one test JVM). HotSpot compiles a method at its first tier after about
     * 200 calls, and a round calls each path once or twice.
     */
    private static final int ROUNDS = 200;
    /** Never refuses, so that every round runs the whole of each script. */
    private static final RateLimit LIMIT = new RateLimit(RateLimit.MAX_REQUESTS, 1, RateLimit.MAX_REQUESTS);
    private static final long PAUSE_CHECK_NANOS = 1_000_000;

    /** What a warm-up did: its rounds, each the rate limit and the quota together and then each alone. */
    public record Outcome(int rounds, Duration took) {

        /** Whether it ran every round: short of them, the first decisions may still miss the budget. */
        public boolean complete() {
            return rounds >= ROUNDS;
        }
    }

    private RedisWarmUp() {
    }

    /**
     * Asks {@code rateLimiter} and {@code quotaLimiter} (either may be null) about a new key each round, so that
     * leases are taken and counts read as for a key's first request, once the link's first connection is made, for at
     * most {@code atMost} (zero: nothing is asked), then up to a second more for a paused link to take the deletion.
     * Pauses of the link (a slow start stalls it) are waited out. It stops when the link has no connection: an edge
     * whose Redis refuses connections starts at once and decides from local buckets, as it would anyway; one whose
     * Redis drops them unanswered waits the whole time.
     */
    public static Outcome run(RedisLink link, RateLimiter rateLimiter, QuotaLimiter quotaLimiter, Duration atMost) {
        long started = System.nanoTime();
        long until = started + atMost.toNanos();
        String keyId = "warm-up-" + UUID.randomUUID();
        Instant first = Instant.now();
        long degradedBefore = link.degraded();
        int rounds = 0;
        if (!link.awaitConnection(until)) {
            return new Outcome(rounds, Duration.ofNanos(System.nanoTime() - started));
        }
        try {
            while (rounds < ROUNDS && System.nanoTime() - until < 0 && link.sharedConnectionOpen()) {
                if (!link.healthy()) {
                    LockSupport.parkNanos(PAUSE_CHECK_NANOS);
                    continue;
                }
                Instant now = Instant.now();
                if (rateLimiter != null && quotaLimiter != null) {
                    rateLimiter.acquireWithQuota(keyId, LIMIT, quotaLimiter, RateLimit.MAX_REQUESTS, now);
                    forget(keyId, rateLimiter, quotaLimiter);
                }
                if (rateLimiter != null) {
                    rateLimiter.acquire(keyId, LIMIT);
                }
                if (quotaLimiter != null) {
                    quotaLimiter.consume(keyId, RateLimit.MAX_REQUESTS, now);
                }
                forget(keyId, rateLimiter, quotaLimiter);
                rounds++;
            }
        } finally {
            // A paused link sends nothing: the deletion waits for it, a second at most beyond the warm-up's time.
            long deleteBy = Math.max(System.nanoTime(), until) + 1_000_000_000L;
            while (!link.healthy() && link.sharedConnectionOpen() && System.nanoTime() - deleteBy < 0) {
                LockSupport.parkNanos(PAUSE_CHECK_NANOS);
            }
            // Both months' counters, should the month have turned meanwhile.
            String[] keys = Stream.of(ExactRedisRateLimiter.bucketKey(keyId),
                    RedisQuotaLimiter.counterKey(keyId, QuotaState.month(first)),
                    RedisQuotaLimiter.counterKey(keyId, QuotaState.month(Instant.now()))).distinct()
                    .toArray(String[]::new);
            link.call(redis -> redis.del(keys));
            link.uncountDegraded(link.degraded() - degradedBefore);
        }
        return new Outcome(rounds, Duration.ofNanos(System.nanoTime() - started));
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
