package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.RateLimitState;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Exact mode against a real, private redis-server, with two links standing for two edges. */
class ExactRedisRateLimiterTest {

    private static final RedisServer redis = new RedisServer();
    private static final RedisLink edgeA = RedisLink.open(redis.uri(), Duration.ofMillis(200), Duration.ofMillis(200));
    private static final RedisLink edgeB = RedisLink.open(redis.uri(), Duration.ofMillis(200), Duration.ofMillis(200));
    private static final RateLimit FIFTY_PER_HOUR = new RateLimit(50, 3600, null);
    /** Keeps Redis busy for ARGV[1] microseconds. */
    private static final String HOLD = """
            local function now() local t = redis.call('TIME') return t[1] * 1000000 + t[2] end
            local start = now()
            repeat until now() - start >= tonumber(ARGV[1])
            return 1
            """;

    @AfterAll
    static void stop() {
        edgeA.close();
        edgeB.close();
        redis.close();
    }

    private static String keyId() {
        return UUID.randomUUID().toString();
    }

    private static void awaitConnected(RedisLink link) throws InterruptedException {
        for (int i = 0; i < 500 && !link.healthy(); i++) {
            new ExactRedisRateLimiter(link).acquire("warm-up", FIFTY_PER_HOUR);
            Thread.sleep(10);
        }
        assertThat(link.healthy()).isTrue();
    }

    /** What a test that stops or stalls its Redis gets: that server, a link to it, a limiter on the link, a new key. */
    @FunctionalInterface
    private interface OwnRedisTest {
        void run(RedisServer own, RedisLink link, ExactRedisRateLimiter limiter, String keyId) throws Exception;
    }

    /** Runs {@code test} against a private redis-server of its own, through a link with that budget and pause. */
    private static void withOwnRedis(Duration budget, Duration pause, OwnRedisTest test) throws Exception {
        RedisServer own = new RedisServer();
        try (RedisLink link = RedisLink.open(own.uri(), budget, pause)) {
            awaitConnected(link);
            test.run(own, link, new ExactRedisRateLimiter(link), keyId());
        } finally {
            own.close();
        }
    }

    @Test
    void twoEdgesHammeringOneKeyAdmitExactlyTheLimit() throws Exception {
        awaitConnected(edgeA);
        awaitConnected(edgeB);
        long degradedBefore = edgeA.degraded() + edgeB.degraded();
        String keyId = keyId();
        List<ExactRedisRateLimiter> edges = List.of(new ExactRedisRateLimiter(edgeA), new ExactRedisRateLimiter(edgeB));
        ExecutorService threads = Executors.newFixedThreadPool(8);
        List<Future<Integer>> admitted = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            ExactRedisRateLimiter edge = edges.get(t % 2);
            admitted.add(threads.submit(() -> {
                int allowed = 0;
                for (int i = 0; i < 40; i++) {
                    allowed += edge.acquire(keyId, FIFTY_PER_HOUR).allowed() ? 1 : 0;
                }
                return allowed;
            }));
        }
        int total = 0;
        for (Future<Integer> each : admitted) {
            total += each.get();
        }
        threads.shutdown();
        assertThat(edgeA.degraded() + edgeB.degraded()).isEqualTo(degradedBefore);
        assertThat(total).isEqualTo(50);
    }

    /** Limits above the maximum were accepted once, and their events are read as they were stored. */
    @Test
    void aLimitStoredAboveTheMaximumIsEnforcedAsTheMaximum() throws Exception {
        awaitConnected(edgeA);
        ExactRedisRateLimiter limiter = new ExactRedisRateLimiter(edgeA);
        RateLimit stored = new RateLimit(Long.MAX_VALUE, 1, Long.MAX_VALUE);
        String keyId = keyId();
        limiter.acquire(keyId, stored);

        RateLimitState second = limiter.acquire(keyId, stored);

        assertThat(second.allowed()).isTrue();
        assertThat(second.limit()).isEqualTo(1_000_000_000L);
        assertThat(second.remaining()).isBetween(999_999_998L, 1_000_000_000L);
        assertThat(second.resetSeconds()).isBetween(0L, 1L);
    }

    @Test
    void aDeniedTokenReportsWhenToRetryAndTheHeaderFields() throws Exception {
        awaitConnected(edgeA);
        ExactRedisRateLimiter limiter = new ExactRedisRateLimiter(edgeA);
        String keyId = keyId();
        RateLimit twoPerMinute = new RateLimit(2, 60, null);
        assertThat(limiter.acquire(keyId, twoPerMinute).remaining()).isEqualTo(1);
        assertThat(limiter.acquire(keyId, twoPerMinute).remaining()).isZero();
        RateLimitState denied = limiter.acquire(keyId, twoPerMinute);
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.limit()).isEqualTo(2);
        assertThat(denied.periodSeconds()).isEqualTo(60);
        assertThat(denied.retryAfterSeconds()).isBetween(29L, 30L);
        assertThat(denied.resetSeconds()).isBetween(59L, 60L);
    }

    @Test
    void aRaisedLimitAppliesToTheSameBucketAtOnce() throws Exception {
        awaitConnected(edgeA);
        ExactRedisRateLimiter limiter = new ExactRedisRateLimiter(edgeA);
        String keyId = keyId();
        RateLimit three = new RateLimit(3, 3600, null);
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.acquire(keyId, three).allowed()).isTrue();
        }
        assertThat(limiter.acquire(keyId, three).allowed()).isFalse();
        // Burst raises the capacity; the tokens already spent stay spent, refill accrues at the new rate.
        RateLimit sixPerSecond = new RateLimit(6, 1, null);
        Thread.sleep(1100);
        int allowed = 0;
        for (int i = 0; i < 10; i++) {
            allowed += limiter.acquire(keyId, sixPerSecond).allowed() ? 1 : 0;
        }
        assertThat(allowed).isBetween(6, 7);
    }

    @Test
    void scriptFlushIsAnsweredByReloadingTheScript() throws Exception {
        awaitConnected(edgeA);
        ExactRedisRateLimiter limiter = new ExactRedisRateLimiter(edgeA);
        String keyId = keyId();
        limiter.acquire(keyId, FIFTY_PER_HOUR);
        assertThat(redis.cli("SCRIPT", "EXISTS", ExactRedisRateLimiter.BUCKET.sha())).isEqualTo("1");
        assertThat(redis.cli("SCRIPT", "FLUSH")).isEqualTo("OK");
        assertThat(redis.cli("SCRIPT", "EXISTS", ExactRedisRateLimiter.BUCKET.sha())).isEqualTo("0");
        long degradedBefore = edgeA.degraded();

        RateLimitState state = limiter.acquire(keyId, FIFTY_PER_HOUR);

        assertThat(edgeA.degraded()).isEqualTo(degradedBefore);
        assertThat(state.remaining()).isEqualTo(48);
        assertThat(redis.cli("SCRIPT", "EXISTS", ExactRedisRateLimiter.BUCKET.sha())).isEqualTo("1");
    }

    @Test
    void aKeyTheSharedBucketThrottlesStaysThrottledWhenRedisGoesAway() throws Exception {
        withOwnRedis(Duration.ofMillis(50), Duration.ofMillis(100), (own, link, limiter, keyId) -> {
            RateLimit five = new RateLimit(5, 3600, null);
            assertThat(Admissions.admitted(limiter, keyId, five, 8)).isEqualTo(5);

        own.stop();
        long degradedBefore = link.degraded();
        assertThat(Admissions.admitted(limiter, keyId, five, 10))
                .as("the local bucket goes on from the shared one's last state, not full").isZero();
        assertThat(link.degraded() - degradedBefore).isEqualTo(10);
        });
    }

    @Test
    void whileRedisIsDownDecisionsComeFromLocalBucketsAndRedisIsUsedAgainWhenItReturns() throws Exception {
        withOwnRedis(Duration.ofMillis(50), Duration.ofMillis(100), (own, link, limiter, keyId) -> {
            RateLimit five = new RateLimit(5, 3600, null);
            // Warmed on another key: a first call that missed the budget would take from this key's local bucket.
        limiter.acquire(keyId(), five);

        own.stop();
        long degradedBefore = link.degraded();
        int allowedWhileDown = 0;
        for (int i = 0; i < 10; i++) {
            allowedWhileDown += limiter.acquire(keyId, five).allowed() ? 1 : 0;
        }
        assertThat(link.degraded() - degradedBefore).isEqualTo(10);
        assertThat(allowedWhileDown).isEqualTo(5);

        own.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        long degraded;
        do {
            degraded = link.degraded();
            limiter.acquire(keyId, five);
            Thread.sleep(20);
        } while (link.degraded() != degraded && System.nanoTime() < deadline);
        assertThat(link.healthy()).isTrue();
        // A restarted, empty Redis starts a fresh bucket: it holds the key's tokens minus what was taken there.
        assertThat(own.cli("EXISTS", "latchkey:rl:" + keyId)).isEqualTo("1");
        });
    }

    @Test
    void aStalledRedisIsWaitedForWithoutBlockingTheCallerAndOnlyWithinTheBudgetUntilThreeBudgetsOfMissesPauseTheLink()
            throws Exception {
        Duration budget = Duration.ofMillis(200);
        withOwnRedis(budget, Duration.ofSeconds(5), (own, link, limiter, keyId) -> {
            RateLimit hundred = new RateLimit(100, 3600, null);
        long degradedBefore = link.degraded();
        long stallStarted = System.nanoTime();
        assertThat(own.cli("CLIENT", "PAUSE", "3000", "ALL")).isEqualTo("OK");

        List<CompletableFuture<RateLimitState>> burst = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            burst.add(limiter.acquireAsync(keyId, hundred));
        }

        // Redis holds every command for 3 s: the calls came back without their answers.
        assertThat(burst).allSatisfy(call -> assertThat(call).isNotDone());
        for (CompletableFuture<RateLimitState> call : burst) {
            assertThat(call.get(2, TimeUnit.SECONDS).allowed()).isTrue();
        }
        assertThat(link.degraded() - degradedBefore).isEqualTo(3);
        // Three misses within one budget are a burst, not yet a stall.
        assertThat(link.healthy()).isTrue();
        int waited = 0;
        while (link.healthy() && waited < 10) {
            long started = System.nanoTime();
            assertThat(limiter.acquire(keyId, hundred).allowed()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(budget);
            waited++;
        }
        assertThat(link.healthy()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - stallStarted)).isLessThan(Duration.ofMillis(2500))
                .isGreaterThanOrEqualTo(budget.multipliedBy(4));
        assertThat(link.degraded() - degradedBefore).isEqualTo(3 + waited);
        assertThat(limiter.acquireAsync(keyId, hundred)).isDone();
        });
    }

    @Test
    void aBrownOutPausesTheLinkThoughRepliesInTimeBreakEveryRunOfMisses() throws Exception {
        RedisServer own = new RedisServer();
        Duration budget = Duration.ofMillis(50);
        AtomicBoolean browningOut = new AtomicBoolean(true);
        RedisClient controller = RedisClient.create(own.uri());
        try (RedisLink link = RedisLink.open(own.uri(), budget, Duration.ofSeconds(2));
             StatefulRedisConnection<String, String> admin = controller.connect()) {
            awaitConnected(link);
            // Redis held for 150 ms in every 160 or so: a call sent in the first 100 ms of a hold misses the budget,
            // one sent later is answered in time, so misses come in runs of 100 ms, well short of three budgets
            // (150 ms), and are about five calls in eight. A script holds it (CLIENT PAUSE ends on Redis's 100 ms
            // tick).
            Thread brownOut = new Thread(() -> {
                while (browningOut.get()) {
                    admin.sync().eval(HOLD, ScriptOutputType.INTEGER, new String[0], "150000");
                    LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
                }
            });
            brownOut.start();
            long started = System.nanoTime();
            boolean paused = false;
            while (!paused && System.nanoTime() - started < Duration.ofSeconds(4).toNanos()) {
                link.callAsync(commands -> commands.ping());
                Thread.sleep(5);
                paused = !link.healthy();
            }
            browningOut.set(false);
            brownOut.join();

            assertThat(paused).isTrue();
        } finally {
            controller.shutdown();
            own.close();
        }
    }

    @Test
    void oneLateReplyIsDecidedLocallyWithoutPausingTheLink() throws Exception {
        withOwnRedis(Duration.ofMillis(100), Duration.ofSeconds(30), (own, link, limiter, keyId) -> {
            RateLimit five = new RateLimit(5, 3600, null);
            assertThat(limiter.acquire(keyId, five).remaining()).isEqualTo(4);
        long degradedBefore = link.degraded();
        assertThat(own.cli("CLIENT", "PAUSE", "400", "ALL")).isEqualTo("OK");

        limiter.acquire(keyId, five);
        own.cli("PING");

        assertThat(link.degraded() - degradedBefore).isEqualTo(1);
        assertThat(link.healthy()).isTrue();
        // The late call's token was taken in Redis, and its request admitted here: owed, then taken back by the late
        // reply. A call between the two charges it and gives it back at the next: after four requests, one is left.
        limiter.acquire(keyId, five);
        assertThat(limiter.acquire(keyId, five).remaining()).isEqualTo(1);
        assertThat(link.degraded() - degradedBefore).isEqualTo(1);
        });
    }

    @Test
    void stallsOfRedisDoNotLetOneEdgeAdmitMoreThanTheLimit() throws Exception {
        withOwnRedis(Duration.ofMillis(50), Duration.ofMillis(100), (own, link, limiter, keyId) -> {
            RateLimit twenty = new RateLimit(20, 3600, null);
            assertThat(Admissions.admitted(limiter, keyId, twenty, 2)).isEqualTo(2);
            long degradedBefore = link.degraded();
            int admitted = 2;
            for (int stall = 0; stall < 10; stall++) {
                // Each stall: calls that miss their budget (and run once Redis is back), then a paused link.
                assertThat(own.cli("CLIENT", "PAUSE", "200", "ALL")).isEqualTo("OK");
                admitted += Admissions.admitted(limiter, keyId, twenty, 6);
                Thread.sleep(150);
                admitted += Admissions.admitted(limiter, keyId, twenty, 2);
            }
            // The last calls' late replies are in.
            Thread.sleep(300);
            admitted += Admissions.admitted(limiter, keyId, twenty, 10);

            assertThat(link.degraded() - degradedBefore).as("the stalls were decided locally").isGreaterThan(20);
            // Before the local buckets' tokens were owed to the shared one, every stall spent its tokens again: 40.
            assertThat(admitted).isBetween(18, 20);
        });
    }

    @Test
    void aLongStallDoesNotLetOneEdgeAdmitTwiceTheLimit() throws Exception {
        withOwnRedis(Duration.ofMillis(50), Duration.ofMillis(100), (own, link, limiter, keyId) -> {
            RateLimit twenty = new RateLimit(20, 3600, null);
            assertThat(Admissions.admitted(limiter, keyId, twenty, 10)).isEqualTo(10);
            // Held for 5 s: the link tries again about once a second, and each try carries what is owed by then; Redis
            // runs them all at once when it is let go.
            assertThat(own.cli("CLIENT", "PAUSE", "5000", "ALL")).isEqualTo("OK");
            int admitted = 10;
            long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
            while (System.nanoTime() < until) {
                admitted += limiter.acquire(keyId, twenty).allowed() ? 1 : 0;
                Thread.sleep(50);
            }
            Thread.sleep(300);
            admitted += Admissions.admitted(limiter, keyId, twenty, 10);

            // Before the late replies took back what Redis charged rather than what they carried: 40.
            assertThat(admitted).isLessThanOrEqualTo(20);
        });
    }

    @Test
    void aClientWithinItsLimitThroughAnOutageIsNotLockedOutWhenRedisReturns() throws Exception {
        withOwnRedis(Duration.ofMillis(50), Duration.ofMillis(100), (own, link, limiter, keyId) -> {
            // A bucket of 10 that fills in 3 s; the client asks 2.5 times a second, within the limit.
            RateLimit tenIn3s = new RateLimit(10, 3, null);
            limiter.acquire(keyId(), tenIn3s);
            own.stop();
            assertThat(paced(limiter, keyId, tenIn3s, 15)).as("admitted by the local bucket").isEqualTo(15);

            own.start();
            // At the same pace until Redis decides one of the key's requests: the one that charges the debt.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            boolean byRedis;
            RateLimitState charged;
            do {
                long degraded = link.degraded();
                charged = limiter.acquire(keyId, tenIn3s);
                byRedis = link.degraded() == degraded;
                Thread.sleep(400);
            } while (!byRedis && System.nanoTime() < deadline);

            assertThat(byRedis).isTrue();
            // Before a debt was capped at what the local bucket missed, the 15 and more were charged to a full
            // bucket of 10: refused, and so for the next 2 s.
            assertThat(charged.allowed()).isTrue();
            assertThat(paced(limiter, keyId, tenIn3s, 3)).isEqualTo(3);
        });
    }

    /** How many of {@code asks} requests, one every 400 ms, {@code limiter} admits. */
    private static int paced(ExactRedisRateLimiter limiter, String keyId, RateLimit limit, int asks)
            throws InterruptedException {
        int admitted = 0;
        for (int i = 0; i < asks; i++) {
            admitted += limiter.acquire(keyId, limit).allowed() ? 1 : 0;
            Thread.sleep(400);
        }
        return admitted;
    }

    @Test
    void aBudgetOrPauseThatIsNotPositiveIsRefused() {
        assertThatThrownBy(() -> RedisLink.open(redis.uri(), Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
        assertThatThrownBy(() -> RedisLink.open(redis.uri(), Duration.ofMillis(5), Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
    }

    @Test
    void whileRedisStaysAwayEachPauseIsTwiceTheLastUpToTheLongest() throws Exception {
        RedisServer own = new RedisServer();
        try (RedisLink link = RedisLink.open(own.uri(), Duration.ofMillis(100), Duration.ofMillis(1600))) {
            awaitConnected(link);
            own.stop();
            List<Duration> pauses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                // Nothing listens: a call fails at once, or (before the link has noticed) stalls; either pauses it.
                for (int call = 0; call < 10 && link.healthy(); call++) {
                    link.call(commands -> commands.ping());
                }
                long paused = System.nanoTime();
                assertThat(link.healthy()).isFalse();
                while (!link.healthy()) {
                    Thread.sleep(5);
                }
                pauses.add(Duration.ofNanos(System.nanoTime() - paused));
            }

            // Four budgets (400 ms), then 800, then the longest twice; each well short of the next length up.
            assertThat(pauses.get(0)).isBetween(Duration.ofMillis(300), Duration.ofMillis(790));
            assertThat(pauses.get(1)).isBetween(Duration.ofMillis(700), Duration.ofMillis(1590));
            assertThat(pauses.get(2)).isBetween(Duration.ofMillis(1500), Duration.ofMillis(3200));
            assertThat(pauses.get(3)).isBetween(Duration.ofMillis(1500), Duration.ofMillis(3200));
        } finally {
            own.close();
        }
    }
}
