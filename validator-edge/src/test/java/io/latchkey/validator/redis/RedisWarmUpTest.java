package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.testing.LoopbackPorts;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The warm-up an edge runs before it takes traffic: its calls reach Redis, and it leaves nothing behind. */
class RedisWarmUpTest {

    private static final RedisServer redis = new RedisServer();

    @AfterAll
    static void stop() {
        redis.close();
    }

    private static RedisLink connected() throws InterruptedException {
        RedisLink link = RedisLink.open(redis.uri(), Duration.ofMillis(5), Duration.ofMillis(200));
        RedisServer.awaitReachable(link);
        return link;
    }

    /** The link just opened, as an edge's is: its connection is made in the background. */
    @Test
    void anExactModeWarmUpRunsEveryScriptAndLeavesNothingBehind() {
        try (RedisLink link = RedisLink.open(redis.uri(), Duration.ofMillis(5), Duration.ofMillis(200))) {
            ExactRedisRateLimiter rate = new ExactRedisRateLimiter(link);
            RedisQuotaLimiter quota = RedisQuotaLimiter.exact(link);
            long scriptsBefore = redis.calls("evalsha") + redis.calls("eval");

            int rounds = RedisWarmUp.run(link, rate, quota, Duration.ofSeconds(30));

            assertThat(rounds).isEqualTo(1_000);
            assertThat(redis.calls("evalsha") + redis.calls("eval") - scriptsBefore)
                    .as("script runs: a round is the combined script, the bucket's and the counter's")
                    .isGreaterThanOrEqualTo(3_000);
            assertThat(redis.cli("KEYS", "*warm-up-*")).isEmpty();
            assertThat(quota.keys()).isZero();
            assertThat(link.degraded()).as("decisions counted as degraded").isZero();
        }
    }

    @Test
    void aLocalSyncWarmUpLeavesNothingBehind() throws Exception {
        try (RedisLink link = connected();
             LocalSyncRateLimiter rate = new LocalSyncRateLimiter(link, Duration.ofSeconds(30));
             RedisQuotaLimiter quota = RedisQuotaLimiter.leased(link)) {
            assertThat(RedisWarmUp.run(link, rate, quota, Duration.ofSeconds(30))).isEqualTo(1_000);

            // A refill still on its way may make the bucket again; it expires within about a second.
            String left = redis.cli("KEYS", "*warm-up-*");
            for (int i = 0; i < 100 && !left.isEmpty(); i++) {
                Thread.sleep(50);
                left = redis.cli("KEYS", "*warm-up-*");
            }
            assertThat(left).isEmpty();
            assertThat(quota.keys()).isZero();
            assertThat(link.degraded()).isZero();
        }
    }

    @Test
    void aWarmUpThatRedisStallsStopsAndCountsNoDegradedDecision() throws Exception {
        try (RedisLink link = connected()) {
            assertThat(redis.cli("CLIENT", "PAUSE", "300", "ALL")).isEqualTo("OK");

            int rounds = RedisWarmUp.run(link, new ExactRedisRateLimiter(link), RedisQuotaLimiter.exact(link),
                    Duration.ofSeconds(30));

            assertThat(rounds).as("rounds run before the stall paused the link").isLessThan(1_000);
            assertThat(link.degraded()).isZero();
        }
    }

    @Test
    void anEdgeStartedWithoutRedisIsNotHeldUpAndCountsNoDegradedDecision() {
        try (RedisLink link = RedisLink.open("redis://127.0.0.1:" + LoopbackPorts.free(), Duration.ofMillis(5),
                Duration.ofSeconds(1))) {
            int rounds = RedisWarmUp.run(link, new ExactRedisRateLimiter(link), RedisQuotaLimiter.exact(link),
                    Duration.ofSeconds(30));

            assertThat(rounds).isLessThanOrEqualTo(1);
            assertThat(link.degraded()).isZero();
        }
    }
}
