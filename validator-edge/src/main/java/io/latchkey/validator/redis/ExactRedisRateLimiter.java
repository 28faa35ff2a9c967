package io.latchkey.validator.redis;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.RateLimitState;
import io.latchkey.validator.RateLimiter;
import io.latchkey.validator.ratelimit.LocalRateLimiter;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Exact mode: one bucket per key in Redis, shared by every edge, taken atomically by a Lua script in one round trip
 * ({@code EVALSHA}; after {@code SCRIPT FLUSH} or a restart of Redis the {@code NOSCRIPT} answer is followed by one
 * {@code EVAL}, which loads the script again). While the {@link RedisLink} is paused, decisions come from local
 * buckets and are counted as degraded: during an outage each edge admits up to the limit on its own.
 */
public final class ExactRedisRateLimiter implements RateLimiter {

    static final String SCRIPT = script();
    static final String SHA = sha1(SCRIPT);
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
        Optional<RateLimitState> shared = take(link, keyId, limit, 1, false).map(Taken::state);
        if (shared.isPresent()) {
            return shared.get();
        }
        link.countDegraded();
        return local.acquire(keyId, limit);
    }

    /** What one run of the script took (negative: gave back) and the bucket's state after it. */
    record Taken(long tokens, RateLimitState state) {
    }

    /**
     * Takes {@code cost} tokens (all or none; with {@code partial} as many as there are, up to {@code cost}) from the
     * shared bucket of {@code keyId}; empty when Redis did not answer within the link's budget.
     */
    static Optional<Taken> take(RedisLink link, String keyId, RateLimit limit, long cost, boolean partial) {
        String[] keys = {PREFIX + keyId};
        String capacity = Long.toString(limit.capacity());
        String perPeriod = Long.toString(limit.limit());
        String periodMillis = Long.toString(limit.periodSeconds() * 1000);
        String tokens = Long.toString(cost);
        String mode = partial ? "1" : "0";
        Optional<List<Long>> answer = link.call(redis -> redis.<List<Long>>evalsha(SHA, ScriptOutputType.MULTI, keys,
                        capacity, perPeriod, periodMillis, tokens, mode)
                .exceptionallyCompose(failure -> unwrap(failure) instanceof RedisNoScriptException
                        ? redis.<List<Long>>eval(SCRIPT, ScriptOutputType.MULTI, keys, capacity, perPeriod,
                        periodMillis, tokens, mode)
                        : CompletableFuture.failedFuture(failure)));
        return answer.map(reply -> new Taken(reply.get(0), new RateLimitState(reply.get(0) > 0, limit.limit(),
                limit.periodSeconds(), reply.get(1) / 1000, ceilSeconds(reply.get(3)), ceilSeconds(reply.get(2)))));
    }

    private static long ceilSeconds(long millis) {
        return (millis + 999) / 1000;
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    private static String script() {
        try (InputStream in = ExactRedisRateLimiter.class.getResourceAsStream("token-bucket.lua")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
