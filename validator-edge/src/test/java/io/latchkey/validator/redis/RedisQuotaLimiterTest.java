package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.validator.QuotaState;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Monthly quotas against a real, private redis-server, with several links standing for several edges. */
class RedisQuotaLimiterTest {

    private static final RedisServer redis = new RedisServer();
    private static final RedisLink edgeA = RedisLink.open(redis.uri(), Duration.ofMillis(200), Duration.ofMillis(200));
    private static final RedisLink edgeB = RedisLink.open(redis.uri(), Duration.ofMillis(200), Duration.ofMillis(200));
    private static final RedisLink edgeC = RedisLink.open(redis.uri(), Duration.ofMillis(200), Duration.ofMillis(200));
    /**
     * Months relative to today: Redis expires a count by its own clock (a day after its month), so a fixed past date
     * would find every count already expired.
     */
    private static final YearMonth THIS_MONTH = YearMonth.now(ZoneOffset.UTC);
    private static final YearMonth NEXT_MONTH = THIS_MONTH.plusMonths(1);
    private static final Instant MONTH_END = NEXT_MONTH.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    private static final Instant LAST_MINUTE = MONTH_END.minusSeconds(60);
    private static final Instant NEXT_MONTH_START = MONTH_END.plusSeconds(1);

    @AfterAll
    static void stop() {
        edgeA.close();
        edgeB.close();
        edgeC.close();
        redis.close();
    }

    private static String keyId() {
        return UUID.randomUUID().toString();
    }

    private static void awaitConnected(RedisLink link) throws InterruptedException {
        for (int i = 0; i < 500 && !link.healthy(); i++) {
            Thread.sleep(10);
        }
        assertThat(link.healthy()).isTrue();
    }

    private static int hammer(List<RedisQuotaLimiter> edges, String keyId, long quota, int threads, int perThread)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> admitted = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            RedisQuotaLimiter edge = edges.get(t % edges.size());
            admitted.add(pool.submit(() -> {
                int allowed = 0;
                for (int i = 0; i < perThread; i++) {
                    allowed += edge.consume(keyId, quota, LAST_MINUTE).allowed() ? 1 : 0;
                }
                return allowed;
            }));
        }
        int total = 0;
        for (Future<Integer> f : admitted) {
            total += f.get();
        }
        pool.shutdown();
        return total;
    }

    @Test
    void theFirstRequestOfAMonthDropsWhatTheEdgeKeptOfMonthsBeforeTheLastOne() throws Exception {
        awaitConnected(edgeA);
        RedisQuotaLimiter limiter = RedisQuotaLimiter.exact(edgeA);
        for (int i = 0; i < 20; i++) {
            assertThat(limiter.consume(keyId(), 100, LAST_MINUTE).allowed()).isTrue();
        }
        assertThat(limiter.keys()).isEqualTo(20);

        assertThat(limiter.consume(keyId(), 100, NEXT_MONTH_START).allowed()).isTrue();
        assertThat(limiter.consume(keyId(), 100, NEXT_MONTH_START.plus(Duration.ofDays(31))).allowed()).isTrue();

        assertThat(ForkJoinPool.commonPool().awaitQuiescence(10, TimeUnit.SECONDS)).isTrue();
        assertThat(limiter.keys()).as("the last two months'").isEqualTo(2);
    }

    @Test
    void exactModeAdmitsExactlyTheQuotaAcrossEdges() throws Exception {
        awaitConnected(edgeA);
        awaitConnected(edgeB);
        String keyId = keyId();
        int admitted = hammer(List.of(RedisQuotaLimiter.exact(edgeA), RedisQuotaLimiter.exact(edgeB)), keyId, 150, 6,
                60);
        assertThat(admitted).isEqualTo(150);
        QuotaState after = RedisQuotaLimiter.exact(edgeA).consume(keyId, 150, LAST_MINUTE);
        assertThat(after.allowed()).isFalse();
        assertThat(after.remaining()).isZero();
        assertThat(after.resetsAt()).isEqualTo(MONTH_END);
        assertThat(after.resetSeconds()).isEqualTo(60);
    }

    @Test
    void leasedModeNeverExceedsTheQuotaAndLeavesAtMostALeasePerEdgeUnused() throws Exception {
        awaitConnected(edgeA);
        awaitConnected(edgeB);
        awaitConnected(edgeC);
        String keyId = keyId();
        long quota = 20_000;
        List<RedisQuotaLimiter> edges = List.of(RedisQuotaLimiter.leased(edgeA), RedisQuotaLimiter.leased(edgeB),
                RedisQuotaLimiter.leased(edgeC));
        int admitted = hammer(edges, keyId, quota, 6, 4_000);
        // Lease size is quota / 1000 = 20: each edge may hold up to one unused lease when the shared count is spent.
        assertThat(admitted).isBetween((int) quota - 3 * 20, (int) quota);
        assertThat(redis.cli("GET", "latchkey:quota:" + keyId + ":" + THIS_MONTH)).isEqualTo(Long.toString(quota));
    }

    @Test
    void aNewMonthStartsTheCountAgain() throws Exception {
        awaitConnected(edgeA);
        String keyId = keyId();
        RedisQuotaLimiter limiter = RedisQuotaLimiter.exact(edgeA);
        assertThat(limiter.consume(keyId, 1, LAST_MINUTE).allowed()).isTrue();
        assertThat(limiter.consume(keyId, 1, LAST_MINUTE).allowed()).isFalse();
        QuotaState nextMonth = limiter.consume(keyId, 1, NEXT_MONTH_START);
        assertThat(nextMonth.allowed()).isTrue();
        assertThat(nextMonth.used()).isEqualTo(1);
        assertThat(nextMonth.resetsAt()).isEqualTo(NEXT_MONTH.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC)
                .toInstant());
        long ttl = Long.parseLong(redis.cli("TTL", "latchkey:quota:" + keyId + ":" + NEXT_MONTH));
        assertThat(ttl).isPositive();
    }

    @Test
    void raisingTheQuotaAdmitsAgainAtOnce() throws Exception {
        awaitConnected(edgeA);
        String keyId = keyId();
        RedisQuotaLimiter limiter = RedisQuotaLimiter.leased(edgeA);
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.consume(keyId, 3, LAST_MINUTE).allowed()).isTrue();
        }
        assertThat(limiter.consume(keyId, 3, LAST_MINUTE).allowed()).isFalse();
        QuotaState raised = limiter.consume(keyId, 4, LAST_MINUTE);
        assertThat(raised.allowed()).isTrue();
        assertThat(raised.used()).isEqualTo(4);
    }

    /**
     * A quota the edge knows used up (the count Redis gave) is refused without asking Redis; once a second the
     * refusals ask Redis for the count again in the background, so a count Redis lost admits again, as it would have
     * without what the edge knew.
     */
    @Test
    void aQuotaKnownUsedUpIsRefusedWithoutAskingRedisAndReadAgainOnceASecond() throws Exception {
        awaitConnected(edgeA);
        String keyId = keyId();
        String counter = "latchkey:quota:" + keyId + ":" + THIS_MONTH;
        for (RedisQuotaLimiter limiter : List.of(RedisQuotaLimiter.exact(edgeA), RedisQuotaLimiter.leased(edgeA))) {
            redis.cli("DEL", counter);
            assertThat(limiter.usedUp(keyId, 1, LAST_MINUTE)).as("nothing known yet").isNull();
            assertThat(limiter.consume(keyId, 1, LAST_MINUTE).allowed()).isTrue();
            long callsBefore = scriptCalls();

            for (int i = 0; i < 5; i++) {
                QuotaState refused = limiter.consume(keyId, 1, LAST_MINUTE.plusMillis(999));
                assertThat(refused.allowed()).isFalse();
                assertThat(refused.used()).isEqualTo(1);
            }
            assertThat(scriptCalls() - callsBefore).isZero();
            assertThat(limiter.usedUp(keyId, 2, LAST_MINUTE)).as("another quota").isNull();

            redis.cli("DEL", counter);
            Instant later = LAST_MINUTE.plusSeconds(1);
            assertThat(limiter.consume(keyId, 1, later).allowed()).as("refused from what the edge knew").isFalse();
            awaitNotUsedUp(limiter, keyId, later);
            assertThat(scriptCalls() - callsBefore).as("the count read again once").isEqualTo(1);
            assertThat(limiter.consume(keyId, 1, later).allowed()).isTrue();

            // A clock stepped back asks again too, rather than trusting the count for as long as the step.
            redis.cli("DEL", counter);
            assertThat(limiter.consume(keyId, 1, LAST_MINUTE).allowed()).isFalse();
            awaitNotUsedUp(limiter, keyId, LAST_MINUTE);
        }
    }

    private static long scriptCalls() {
        return redis.calls("evalsha") + redis.calls("eval");
    }

    private static void awaitNotUsedUp(RedisQuotaLimiter limiter, String keyId, Instant now)
            throws InterruptedException {
        for (int i = 0; i < 500 && limiter.usedUp(keyId, 1, now) != null; i++) {
            Thread.sleep(10);
        }
        assertThat(limiter.usedUp(keyId, 1, now)).as("after the count was read again").isNull();
    }

    /** A leased limiter that admitted 3 requests of a quota of 20,000 from a lease of 20, all counted in Redis. */
    private static RedisQuotaLimiter leasedWithALeaseOf20(RedisServer server, RedisLink link, String keyId) {
        return leasedWithALeaseOf20(server, RedisQuotaLimiter.leased(link), keyId);
    }

    private static RedisQuotaLimiter leasedWithALeaseOf20(RedisServer server, RedisQuotaLimiter limiter,
                                                          String keyId) {
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.consume(keyId, 20_000, LAST_MINUTE).allowed()).isTrue();
        }
        assertThat(server.cli("GET", "latchkey:quota:" + keyId + ":" + THIS_MONTH)).as("a lease of 20").isEqualTo("20");
        return limiter;
    }

    /** A lease taken under a higher quota is given back, so a lowered quota admits up to itself. */
    @Test
    void aLoweredQuotaGivesTheUnusedLeaseBack() throws Exception {
        awaitConnected(edgeA);
        String keyId = keyId();
        RedisQuotaLimiter limiter = leasedWithALeaseOf20(redis, edgeA, keyId);

        int admitted = 0;
        for (int i = 0; i < 12; i++) {
            admitted += limiter.consume(keyId, 10, LAST_MINUTE).allowed() ? 1 : 0;
        }

        assertThat(admitted).as("the lowered quota's remainder").isEqualTo(7);
        assertThat(redis.cli("GET", "latchkey:quota:" + keyId + ":" + THIS_MONTH)).isEqualTo("10");
    }

    /**
     * An edge with no request since a quota was lowered knows of no change: its lease, counted in Redis, goes back once
     * idle, so that another edge is not refused the quota's remainder for the rest of the month.
     */
    @Test
    void anIdleEdgesLeaseGoesBackSoAnotherEdgeAdmitsALoweredQuotasRemainder() throws Exception {
        awaitConnected(edgeA);
        awaitConnected(edgeB);
        String keyId = keyId();
        // A second's idleness here, a minute's in service.
        RedisQuotaLimiter idle = leasedWithALeaseOf20(redis, RedisQuotaLimiter.leased(edgeB, Duration.ofSeconds(1)),
                keyId);
        RedisQuotaLimiter active = RedisQuotaLimiter.leased(edgeA);
        try {
            int admitted = 0;
            // At the time it is: a refusing edge asks for the count again once a second of its requests' time.
            for (int i = 0; i < 100 && admitted < 7; i++) {
                admitted += active.consume(keyId, 10, Instant.now()).allowed() ? 1 : 0;
                Thread.sleep(50);
            }

            assertThat(admitted).as("the lowered quota's remainder, within five seconds").isEqualTo(7);
            assertThat(active.consume(keyId, 10, Instant.now()).allowed()).isFalse();
            assertThat(redis.cli("GET", "latchkey:quota:" + keyId + ":" + THIS_MONTH)).isEqualTo("10");
        } finally {
            idle.close();
            active.close();
        }
    }

    /** What a test that stops its Redis gets: that server, a link to it, an exact limiter on the link, a new key. */
    @FunctionalInterface
    private interface OwnRedisTest {
        void run(RedisServer own, RedisLink link, RedisQuotaLimiter limiter, String keyId) throws Exception;
    }

    /** Runs {@code test} against a private redis-server of its own, which it may stop and start. */
    private static void withOwnRedis(OwnRedisTest test) throws Exception {
        RedisServer own = new RedisServer();
        try (RedisLink link = RedisLink.open(own.uri(), Duration.ofMillis(200), Duration.ofMillis(100))) {
            awaitConnected(link);
            test.run(own, link, RedisQuotaLimiter.exact(link), keyId());
        } finally {
            own.close();
        }
    }

    private static void admitted(RedisQuotaLimiter limiter, String keyId, int requests) {
        for (int i = 0; i < requests; i++) {
            assertThat(limiter.consume(keyId, 10, LAST_MINUTE).allowed()).isTrue();
        }
    }

    @Test
    void whileRedisIsDownTheQuotaHoldsFromTheLastCountAndItsAdmissionsAreSettledAfterwards() throws Exception {
        withOwnRedis((own, link, limiter, keyId) -> {
            admitted(limiter, keyId, 4);
            own.stop();
            long degradedBefore = link.degraded();
            int offline = 0;
            for (int i = 0; i < 20; i++) {
                offline += limiter.consume(keyId, 10, LAST_MINUTE).allowed() ? 1 : 0;
            }
            assertThat(offline).isEqualTo(6);
            // The refusals after them come from what the edge knows, as they would with Redis there.
            assertThat(link.degraded() - degradedBefore).as("the admissions made without Redis").isEqualTo(6);

            // Whatever the restarted Redis still holds, the admissions made without it are added to it.
            own.start();
            RedisServer.awaitReachable(link);
            String held = own.cli("GET", "latchkey:quota:" + keyId + ":" + THIS_MONTH);
            long before = held.isBlank() ? 0 : Long.parseLong(held);
            assertThat(limiter.consume(keyId, 20, LAST_MINUTE).used()).isEqualTo(before + 6 + 1);
            assertThat(own.cli("GET", "latchkey:quota:" + keyId + ":" + THIS_MONTH)).isEqualTo(Long.toString(before + 7));
        });
    }

    /**
     * Calls that Redis ran only after the budget (held by {@code CLIENT PAUSE}) were decided offline, and what they
     * took and carried was to be carried again; their late replies take that back, so the month's count holds each
     * admitted request once.
     */
    @Test
    void lateRepliesCountNothingTwice() throws Exception {
        withOwnRedis((own, link, limiter, keyId) -> {
            admitted(limiter, keyId, 2);
            String counter = "latchkey:quota:" + keyId + ":" + THIS_MONTH;
            assertThat(own.cli("CLIENT", "PAUSE", "1500", "ALL")).isEqualTo("OK");
            int offline = 0;
            for (int i = 0; i < 5; i++) {
                offline += limiter.consume(keyId, 10, LAST_MINUTE).allowed() ? 1 : 0;
            }
            assertThat(offline).isEqualTo(5);

            // The late replies send what is left to settle at once, without waiting for the key's next request.
            RedisServer.awaitReachable(link);
            for (int i = 0; i < 500 && !"7".equals(own.cli("GET", counter)); i++) {
                Thread.sleep(10);
            }
            assertThat(own.cli("GET", counter)).as("the 7 admitted").isEqualTo("7");
            assertThat(limiter.unsettled(keyId)).isZero();
            QuotaState next = limiter.consume(keyId, 10, LAST_MINUTE);

            assertThat(next.allowed()).isTrue();
            assertThat(next.used()).isEqualTo(8);
            assertThat(own.cli("GET", counter)).isEqualTo("8");
        });
    }

    /**
     * What an edge admitted while Redis was away reaches Redis though no request of the key came since: within about
     * a second, or when the edge stops, whichever comes first.
     */
    @Test
    void offlineAdmissionsReachRedisWithoutAnotherRequest() throws Exception {
        withOwnRedis((own, link, limiter, keyId) -> {
            String counter = "latchkey:quota:" + keyId + ":" + THIS_MONTH;
            own.stop();
            for (int i = 0; i < 3; i++) {
                assertThat(limiter.consume(keyId, 10, LAST_MINUTE).allowed()).isTrue();
            }
            own.start();
            RedisServer.awaitReachable(link);

            limiter.close();

            assertThat(own.cli("GET", counter)).isEqualTo("3");
            assertThat(limiter.unsettled(keyId)).isZero();
        });
    }

    /** A stopping edge gives its unused leases back: Redis would otherwise count them as used for the month. */
    @Test
    void closingGivesUnusedLeasesBack() throws Exception {
        withOwnRedis((own, link, exact, keyId) -> {
            RedisQuotaLimiter limiter = leasedWithALeaseOf20(own, link, keyId);
            String counter = "latchkey:quota:" + keyId + ":" + THIS_MONTH;

            limiter.close();

            assertThat(own.cli("GET", counter)).as("the 3 admitted").isEqualTo("3");
        });
    }

    /**
     * A call that gives counts back (here a lease, after the quota was lowered) and goes unanswered is taken as having
     * given them: carried again, both might run, and Redis would count fewer than were admitted.
     */
    @Test
    void countsGivenBackAreSentAtMostOnce() throws Exception {
        withOwnRedis((own, link, exact, keyId) -> {
            RedisQuotaLimiter limiter = leasedWithALeaseOf20(own, link, keyId);
            String counter = "latchkey:quota:" + keyId + ":" + THIS_MONTH;
            assertThat(own.cli("CLIENT", "PAUSE", "1000", "ALL")).isEqualTo("OK");

            // Carries the lease's 17 back, misses the budget, and is admitted offline.
            assertThat(limiter.consume(keyId, 10, LAST_MINUTE).allowed()).isTrue();

            assertThat(limiter.unsettled(keyId)).as("the offline admission, not the lease again").isEqualTo(1);
            RedisServer.awaitReachable(link);
            QuotaState next = limiter.consume(keyId, 10, LAST_MINUTE);
            assertThat(next.used()).as("3, the offline one and this one").isEqualTo(5);
            assertThat(own.cli("GET", counter)).isEqualTo("5");
        });
    }

    /**
     * Many threads deciding one key while Redis is down: each failed call carries the admissions made so far and must
     * not hide them from the others while it does, or the remainder is admitted again and again.
     */
    @Test
    void whileRedisIsDownConcurrentRequestsTogetherAdmitOnlyTheRemainder() throws Exception {
        withOwnRedis((own, link, limiter, keyId) -> {
            admitted(limiter, keyId, 4);
            own.stop();

            assertThat(hammer(List.of(limiter), keyId, 10, 8, 5_000)).as("admitted by 8 threads during the outage")
                    .isEqualTo(6);
        });
    }

    /** A request of the month before, decided after the new month's first: the new month's count stays whole. */
    @Test
    void aLateRequestOfTheMonthBeforeLeavesTheNewMonthsOfflineCount() throws Exception {
        withOwnRedis((own, link, limiter, keyId) -> {
            assertThat(limiter.consume(keyId, 2, NEXT_MONTH_START).allowed()).isTrue();
            own.stop();
            assertThat(limiter.consume(keyId, 2, NEXT_MONTH_START).allowed()).as("the second, offline").isTrue();
            assertThat(limiter.consume(keyId, 2, LAST_MINUTE).allowed())
                    .as("a late request, decided offline against the count this edge keeps").isFalse();

            assertThat(limiter.consume(keyId, 2, NEXT_MONTH_START).allowed()).as("the new month's quota is used up")
                    .isFalse();
        });
    }

    @Test
    void whileALeaseIsOnItsWayRequestsThatFindTheLeaseEmptyTakeOneCountEach() throws Exception {
        try (RedisLink link = RedisLink.open(redis.uri(), Duration.ofSeconds(2), Duration.ofMillis(200))) {
            awaitConnected(link);
            RedisServer.awaitReachable(link);
            RedisQuotaLimiter limiter = RedisQuotaLimiter.leased(link);
            String keyId = keyId();
            Instant now = Instant.now();
            List<CompletableFuture<QuotaState>> pending = new ArrayList<>();
            assertThat(redis.cli("CLIENT", "PAUSE", "500", "ALL")).isEqualTo("OK");
            try {
                // A quota of 10,000 is leased ten at a time.
                for (int i = 0; i < 5; i++) {
                    pending.add(limiter.consumeAsync(keyId, 10_000, now));
                }
                for (CompletableFuture<QuotaState> each : pending) {
                    assertThat(each.get(5, TimeUnit.SECONDS).allowed()).isTrue();
                }
            } finally {
                redis.cli("CLIENT", "UNPAUSE");
            }

            // One lease of ten and four single counts, not five leases.
            assertThat(redis.cli("GET", "latchkey:quota:" + keyId + ":" + QuotaState.month(now))).isEqualTo("14");
            assertThat(link.degraded()).isZero();
        }
    }

    @Test
    void aLeaseThatMissesTheBudgetIsGivenBackAndTheCountEndsAtWhatWasAdmitted() throws Exception {
        try (RedisLink link = RedisLink.open(redis.uri(), Duration.ofMillis(200), Duration.ofMillis(200))) {
            awaitConnected(link);
            RedisServer.awaitReachable(link);
            RedisQuotaLimiter limiter = RedisQuotaLimiter.leased(link);
            String keyId = keyId();
            String count = "latchkey:quota:" + keyId + ":" + QuotaState.month(LAST_MINUTE);
            assertThat(redis.cli("CLIENT", "PAUSE", "2000", "ALL")).isEqualTo("OK");
            try {
                // Both miss the budget and are admitted from the edge's own tally; Redis runs them once unpaused.
                assertThat(limiter.consume(keyId, 10_000, LAST_MINUTE).allowed()).isTrue();
                assertThat(limiter.consume(keyId, 10_000, LAST_MINUTE).allowed()).isTrue();
                assertThat(link.healthy()).isTrue();
            } finally {
                redis.cli("CLIENT", "UNPAUSE");
            }
            // The first took a lease of ten, the second (a reply being late) a single count and the first's admission;
            // their late replies give the unused lease back soon, without another request.
            RedisServer.awaitReachable(link);
            for (int i = 0; i < 500 && !"2".equals(redis.cli("GET", count)); i++) {
                Thread.sleep(10);
            }
            assertThat(redis.cli("GET", count)).as("the 2 admitted").isEqualTo("2");
            assertThat(limiter.unsettled(keyId)).isZero();

            // Single counts while the link still waits for replies in time, or a lease of ten again after them.
            assertThat(limiter.consume(keyId, 10_000, LAST_MINUTE).used()).isEqualTo(3);
            assertThat(limiter.consume(keyId, 10_000, LAST_MINUTE).used()).isEqualTo(4);
            assertThat(redis.cli("GET", count)).isIn("4", "12");
        }
    }
}
