package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.RateLimit;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The limiters' scripts are in Redis before their first decision and again after Redis restarts, so no decision waits
 * for a {@code NOSCRIPT} answer and the {@code EVAL} after it; against a real, private redis-server.
 */
class ScriptPreloadTest {

    private static final LuaScript[] SCRIPTS = {ExactRedisRateLimiter.BUCKET, ExactRedisRateLimiter.BUCKET_AND_COUNTER,
            RedisQuotaLimiter.COUNTER};

    private static boolean held(RedisServer redis, LuaScript... scripts) {
        String[] command = new String[scripts.length + 2];
        command[0] = "SCRIPT";
        command[1] = "EXISTS";
        for (int i = 0; i < scripts.length; i++) {
            command[i + 2] = scripts[i].sha();
        }
        return redis.cli(command).lines().allMatch("1"::equals);
    }

    private static void awaitHeld(RedisServer redis, LuaScript... scripts) throws InterruptedException {
        for (int i = 0; i < 250 && !held(redis, scripts); i++) {
            Thread.sleep(20);
        }
        assertThat(held(redis, scripts)).as("the scripts held by Redis").isTrue();
    }

    private static long evalCalls(RedisServer redis) {
        return redis.cli("INFO", "commandstats").lines().filter(line -> line.startsWith("cmdstat_eval:"))
                .mapToLong(line -> Long.parseLong(line.substring(line.indexOf("calls=") + 6, line.indexOf(','))))
                .sum();
    }

    @Test
    void everyScriptIsInRedisBeforeTheFirstDecisionAndAfterRedisRestarts() throws Exception {
        try (RedisServer redis = new RedisServer();
             RedisLink link = RedisLink.open(redis.uri(), Duration.ofMillis(200), Duration.ofMillis(100))) {
            ExactRedisRateLimiter limiter = new ExactRedisRateLimiter(link);
            RedisQuotaLimiter quota = RedisQuotaLimiter.exact(link);

            awaitHeld(redis, SCRIPTS);
            RateLimit tenPerHour = new RateLimit(10, 3600, null);
            assertThat(limiter.acquireWithQuota(UUID.randomUUID().toString(), tenPerHour, quota, 15, Instant.now())
                    .quota().used()).isEqualTo(1);
            assertThat(limiter.acquire(UUID.randomUUID().toString(), tenPerHour).remaining()).isEqualTo(9);
            assertThat(quota.consume(UUID.randomUUID().toString(), 15, Instant.now()).used()).isEqualTo(1);
            assertThat(evalCalls(redis)).as("scripts sent whole after a NOSCRIPT answer").isZero();

            redis.stop();
            redis.start();
            // No decision in between: the link, remaking its connection, gives the restarted Redis every script.
            awaitHeld(redis, SCRIPTS);
        }
    }

    @Test
    void aLimiterMadeOnAConnectedLinkHasItsScriptLoaded() throws Exception {
        try (RedisServer redis = new RedisServer();
             RedisLink link = RedisLink.open(redis.uri(), Duration.ofMillis(200), Duration.ofMillis(100))) {
            RedisServer.awaitReachable(link);

            new LocalSyncRateLimiter(link, Duration.ofMillis(100)).close();

            awaitHeld(redis, ExactRedisRateLimiter.BUCKET);
        }
    }
}
