package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.testing.LoopbackPorts;
import io.latchkey.validator.RateLimiter;
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

    /** A link just opened, as an edge's is: its connection is made in the background. */
    private static RedisLink opened() {
        return RedisLink.open(redis.uri(), Duration.ofMillis(5), Duration.ofMillis(200));
    }

    private long scriptRuns() {
        return redis.calls("evalsha") + redis.calls("eval");
    }

    /** The warm-up key's bucket and counters, once a refill on its way has made the bucket again and it expired. */
    private static String warmUpKeysLeft() throws InterruptedException {
        String left = redis.cli("KEYS", "*warm-up-*");
        for (int i = 0; i < 100 && !left.isEmpty(); i++) {
            Thread.sleep(50);
            left = redis.cli("KEYS", "*warm-up-*");
        }
        return left;
    }

    /** A whole warm-up: its rounds, at least {@code scripts} script runs in Redis, and nothing left behind. */
    private void warmsUpWithoutATrace(RedisLink link, RateLimiter rate, RedisQuotaLimiter quota, long scripts,
                                      String what) throws InterruptedException {
        long scriptsBefore = scriptRuns();

        RedisWarmUp.Outcome outcome = RedisWarmUp.run(link, rate, quota, Duration.ofSeconds(30));

        assertThat(outcome.rounds()).isEqualTo(200);
        assertThat(scriptRuns() - scriptsBefore).as(what).isGreaterThanOrEqualTo(scripts);
        assertThat(warmUpKeysLeft()).isEmpty();
        assertThat(quota.keys()).isZero();
        assertThat(link.degraded()).as("decisions counted as degraded").isZero();
    }

    @Test
    void anExactModeWarmUpRunsEveryScriptAndLeavesNothingBehind() throws Exception {
        try (RedisLink link = opened()) {
            warmsUpWithoutATrace(link, new ExactRedisRateLimiter(link), RedisQuotaLimiter.exact(link), 600,
                    "script runs: a round is the combined script, the bucket's and the counter's");
        }
    }

    /** Each round is a key's first request, which in local-sync mode asks Redis; later ones use the leases. */
    @Test
    void aLocalSyncWarmUpAsksRedisEveryRoundAndLeavesNothingBehind() throws Exception {
        try (RedisLink link = opened();
             LocalSyncRateLimiter rate = new LocalSyncRateLimiter(link, Duration.ofSeconds(30));
             RedisQuotaLimiter quota = RedisQuotaLimiter.leased(link)) {
            warmsUpWithoutATrace(link, rate, quota, 800,
                    "script runs: a round takes a token and a lease of counts twice, each a first request");
        }
    }

    @Test
    void aWarmUpWaitsOutAStallAndCountsNoDegradedDecision() throws Exception {
        try (RedisLink link = opened()) {
            RedisServer.awaitReachable(link);
            assertThat(redis.cli("CLIENT", "PAUSE", "300", "ALL")).isEqualTo("OK");

            RedisWarmUp.Outcome outcome = RedisWarmUp.run(link, new ExactRedisRateLimiter(link),
                    RedisQuotaLimiter.exact(link), Duration.ofSeconds(30));

            assertThat(outcome.rounds()).isEqualTo(200);
            assertThat(link.degraded()).isZero();
            assertThat(warmUpKeysLeft()).isEmpty();
        }
    }

    @Test
    void anEdgeStartedWithoutRedisIsNotHeldUpAndCountsNoDegradedDecision() {
        try (RedisLink link = RedisLink.open("redis://127.0.0.1:" + LoopbackPorts.free(), Duration.ofMillis(5),
                Duration.ofSeconds(1))) {
            RedisWarmUp.Outcome outcome = RedisWarmUp.run(link, new ExactRedisRateLimiter(link),
                    RedisQuotaLimiter.exact(link), Duration.ofSeconds(30));

            assertThat(outcome.rounds()).isZero();
            assertThat(outcome.took()).as("waited for the refused connection only").isLessThan(Duration.ofSeconds(2));
            assertThat(link.degraded()).isZero();
        }
    }
}
