package io.latchkey.validator.redis;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.RateLimitState;
import io.latchkey.validator.RateLimiter;
import io.latchkey.validator.ratelimit.LocalRateLimiter;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Exact mode: one bucket per key in Redis, shared by every edge, taken atomically by a Lua script in one round trip
 * ({@link LuaScript}, which survives a flush of Redis's script cache). While the {@link RedisLink} is paused, or a
 * reply is late, decisions come from local buckets and are counted as degraded: each local bucket follows what the
 * shared one had left at its last reply and refills from there, so a late reply does not open a full bucket for a key
 * the shared one is throttling; during an outage each edge admits up to the limit's rate on its own.
 * {@link #acquireAsync} does not wait for Redis, so an event loop may ask it.
 */
public final class ExactRedisRateLimiter implements RateLimiter {

    static final LuaScript BUCKET = LuaScript.load("token-bucket.lua");
    private static final String PREFIX = "latchkey:rl:";

    private final RedisLink link;
    private final LocalRateLimiter local;

    public ExactRedisRateLimiter(RedisLink link) {
        this(link, LocalRateLimiter.create());
    }

    ExactRedisRateLimiter(RedisLink link, LocalRateLimiter local) {
        this.link = link;
        this.local = local;
    }

    @Override
    public RateLimitState acquire(String keyId, RateLimit limit) {
        return link.await(() -> acquireAsync(keyId, limit));
    }

    @Override
    public CompletableFuture<RateLimitState> acquireAsync(String keyId, RateLimit limit) {
        return takeAsync(link, keyId, limit, 1, false).thenApply(shared -> {
            if (shared.isEmpty()) {
                link.countDegraded();
                return local.acquire(keyId, limit);
            }
            RateLimitState state = shared.get().state();
            local.follow(keyId, limit, state.remaining());
            return state;
        });
    }

    /** What one run of the script took (negative: gave back) and the bucket's state after it. */
    record Taken(long tokens, RateLimitState state) {
    }

    /**
     * Takes {@code cost} tokens (all or none; with {@code partial} as many as there are, up to {@code cost}) from the
     * shared bucket of {@code keyId}; empty when Redis did not answer within the link's budget.
     */
    static Optional<Taken> take(RedisLink link, String keyId, RateLimit limit, long cost, boolean partial) {
        return link.await(() -> takeAsync(link, keyId, limit, cost, partial));
    }

    /** As {@link #take}, without waiting: see {@link RedisLink#callAsync}. */
    static CompletableFuture<Optional<Taken>> takeAsync(RedisLink link, String keyId, RateLimit limit, long cost,
                                                       boolean partial) {
        return BUCKET.runAsync(link, new String[] {PREFIX + keyId}, Long.toString(limit.capacity()),
                        Long.toString(limit.limit()), Long.toString(limit.periodSeconds() * 1000), Long.toString(cost),
                        partial ? "1" : "0")
                .thenApply(reply -> reply.map(counts -> new Taken(counts.get(0), new RateLimitState(counts.get(0) > 0,
                        limit.limit(), limit.periodSeconds(), counts.get(1) / 1000, ceilSeconds(counts.get(3)),
                        ceilSeconds(counts.get(2))))));
    }

    private static long ceilSeconds(long millis) {
        return (millis + 999) / 1000;
    }
}
