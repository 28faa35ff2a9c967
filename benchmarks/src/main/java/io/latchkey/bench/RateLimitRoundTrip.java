package io.latchkey.bench;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.latchkey.api.RateLimit;
import io.latchkey.validator.RateLimiter;
import io.latchkey.validator.ratelimit.LocalRateLimiter;
import io.latchkey.validator.redis.ExactRedisRateLimiter;
import io.latchkey.validator.redis.LocalSyncRateLimiter;
import io.latchkey.validator.redis.RedisLink;
import io.latchkey.validator.redis.RedisQuotaLimiter;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.HdrHistogram.Histogram;

/**
 * One run, one thread, one loopback Redis: the cost of an exact-mode decision by our Lua script (through
 * {@link RedisLink}, the path the edge takes) against Bucket4j's Lettuce integration (compare-and-swap) and a bare
 * {@code PING} on the same connection type, and a key with a rate limit and a quota decided by the two limiters in
 * turn against exact mode's one script for both, interleaved round by round so that machine noise hits them alike;
 * then the per-decision cost of the local-sync and local limiters (no Redis on their hot path).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.latchkey.bench.RateLimitRoundTrip [redis://127.0.0.1:6379] [rounds]</pre>
 */
public final class RateLimitRoundTrip {

    private static final int PER_ROUND = 2_000;
    private static final RateLimit NEVER_EXHAUSTED = new RateLimit(1_000_000_000L, 1, null);
    private static final long NEVER_USED_UP = 1_000_000_000_000L;

    public static void main(String[] args) throws Exception {
        String uri = args.length > 0 ? args[0] : "redis://127.0.0.1:6379";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        String run = UUID.randomUUID().toString();

        RedisClient client = RedisClient.create(uri);
        StatefulRedisConnection<String, String> plain = client.connect();
        RedisCommands<String, String> ping = plain.sync();
        StatefulRedisConnection<byte[], byte[]> bytes = client.connect(ByteArrayCodec.INSTANCE);
        BucketConfiguration config = BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(1_000_000_000L).refillGreedy(1_000_000_000L, Duration.ofSeconds(1)))
                .build();
        BucketProxy bucket4j = Bucket4jLettuce.casBasedBuilder(bytes).build().builder()
                .build(("bench:bucket4j:" + run).getBytes(StandardCharsets.UTF_8), () -> config);
        RedisLink link = RedisLink.open(uri, Duration.ofSeconds(1), Duration.ofSeconds(1));
        while (!link.healthy()) {
            Thread.sleep(10);
        }
        ExactRedisRateLimiter lua = new ExactRedisRateLimiter(link);
        String luaKey = "bench-" + run;

        Map<String, Runnable> contenders = new LinkedHashMap<>();
        contenders.put("PING (Lettuce sync)", ping::ping);
        contenders.put("Lua token bucket (EVALSHA via RedisLink)", () -> check(lua.acquire(luaKey, NEVER_EXHAUSTED).allowed()));
        contenders.put("Bucket4j Lettuce (CAS)", () -> check(bucket4j.tryConsumeAndReturnRemaining(1).isConsumed()));
        // A key with a rate limit and a monthly quota: the two limiters in turn (the interface's default, two
        // scripts) against exact mode's one script for both.
        RedisQuotaLimiter quota = RedisQuotaLimiter.exact(link);
        RateLimiter inTurn = lua::acquire;
        contenders.put("rate limit + quota, in turn (2 EVALSHA)", () -> check(inTurn.acquireWithQuota(luaKey + "-2",
                NEVER_EXHAUSTED, quota, NEVER_USED_UP, Instant.now()).quota().allowed()));
        contenders.put("rate limit + quota, one script (1 EVALSHA)", () -> check(lua.acquireWithQuota(luaKey + "-1",
                NEVER_EXHAUSTED, quota, NEVER_USED_UP, Instant.now()).quota().allowed()));
        Map<String, Histogram> histograms = new LinkedHashMap<>();
        contenders.keySet().forEach(name -> histograms.put(name, new Histogram(60_000_000_000L, 3)));

        for (int i = 0; i < 20_000; i++) {
            contenders.values().forEach(Runnable::run);
        }
        for (int round = 0; round < rounds; round++) {
            for (Map.Entry<String, Runnable> contender : contenders.entrySet()) {
                Histogram histogram = histograms.get(contender.getKey());
                Runnable call = contender.getValue();
                for (int i = 0; i < PER_ROUND; i++) {
                    long started = System.nanoTime();
                    call.run();
                    histogram.recordValue(System.nanoTime() - started);
                }
            }
        }
        System.out.printf("%-45s %10s %10s %10s %10s %10s%n", "round trip (µs)", "p50", "p90", "p99", "p99.9", "max");
        histograms.forEach((name, h) -> System.out.printf("%-45s %10.1f %10.1f %10.1f %10.1f %10.1f%n", name,
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3));
        System.out.printf("samples per contender: %d (%d rounds of %d, interleaved)%n", (long) rounds * PER_ROUND,
                rounds, PER_ROUND);

        try (LocalSyncRateLimiter localSync = new LocalSyncRateLimiter(link, Duration.ofSeconds(1))) {
            perDecision("local-sync (lease decrement)", localSync, "bench-sync-" + run);
        }
        perDecision("local buckets (degraded path)", LocalRateLimiter.create(), "bench-local-" + run);

        link.close();
        plain.close();
        bytes.close();
        client.shutdown();
    }

    /** Mean cost of a decision over 5 batches of 10 M, after a warm-up batch; the best batch is the steady state. */
    private static void perDecision(String name, RateLimiter limiter, String keyId) {
        int batch = 10_000_000;
        double best = Double.MAX_VALUE;
        for (int b = 0; b < 6; b++) {
            long started = System.nanoTime();
            int allowed = 0;
            for (int i = 0; i < batch; i++) {
                allowed += limiter.acquire(keyId, NEVER_EXHAUSTED).allowed() ? 1 : 0;
            }
            double nanos = (System.nanoTime() - started) / (double) batch;
            check(allowed > 0);
            if (b > 0) {
                best = Math.min(best, nanos);
                System.out.printf("%-45s batch %d: %6.1f ns/decision%n", name, b, nanos);
            }
        }
        System.out.printf("%-45s best: %6.1f ns/decision%n", name, best);
    }

    private static void check(boolean allowed) {
        if (!allowed) {
            throw new IllegalStateException("a never-exhausted bucket refused");
        }
    }
}
