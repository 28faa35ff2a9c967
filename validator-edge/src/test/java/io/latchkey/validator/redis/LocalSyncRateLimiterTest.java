package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.RateAndQuotaState;
import io.latchkey.validator.RateLimitState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Local-sync mode: three limiters, each with its own link, stand for three edges sharing one key's traffic. */
class LocalSyncRateLimiterTest {

    private static final RedisServer redis = new RedisServer();

    @AfterAll
    static void stop() {
        redis.close();
    }

    private static RedisLink connected() throws InterruptedException {
        RedisLink link = RedisLink.open(redis.uri(), Duration.ofMillis(200), Duration.ofMillis(200));
        for (int i = 0; i < 500 && !link.healthy(); i++) {
            Thread.sleep(10);
        }
        assertThat(link.healthy()).isTrue();
        return link;
    }

    private static List<LocalSyncRateLimiter> edges(List<RedisLink> links, Duration syncInterval) {
        return links.stream().map(link -> new LocalSyncRateLimiter(link, syncInterval)).toList();
    }

    /** What {@code threadsPerEdge} threads on each edge admit together, each asking {@code perThread} times. */
    private static int admitted(List<LocalSyncRateLimiter> edges, int threadsPerEdge, int perThread, String keyId,
                                RateLimit limit) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(edges.size() * threadsPerEdge);
        try {
            List<Future<Integer>> admitted = new ArrayList<>();
            for (int t = 0; t < edges.size() * threadsPerEdge; t++) {
                LocalSyncRateLimiter edge = edges.get(t % edges.size());
                admitted.add(threads.submit(() -> {
                    int allowed = 0;
                    for (int i = 0; i < perThread; i++) {
                        allowed += edge.acquire(keyId, limit).allowed() ? 1 : 0;
                    }
                    return allowed;
                }));
            }
            int total = 0;
            for (Future<Integer> each : admitted) {
                total += each.get();
            }
            return total;
        } finally {
            threads.shutdown();
        }
    }

    @Test
    void threeEdgesSharingAKeyAdmitWithinFivePercentOfTheLimit() throws Exception {
        List<RedisLink> links = List.of(connected(), connected(), connected());
        List<LocalSyncRateLimiter> edges = edges(links, Duration.ofMillis(200));
        String keyId = UUID.randomUUID().toString();
        RateLimit thousandPerHour = new RateLimit(1000, 3600, null);
        int total = admitted(edges, 2, 1000, keyId, thousandPerHour);
        edges.forEach(LocalSyncRateLimiter::close);
        links.forEach(RedisLink::close);

        assertThat(links.stream().mapToLong(RedisLink::degraded).sum()).isZero();
        assertThat(total).isBetween(950, 1000);
    }

    /**
     * The shared bucket refills while the edges' leases sit unspent, so a burst after a quieter spell finds both. What
     * that adds over the bucket's own capacity and refill must stay within 5 % of the limit with three edges.
     */
    @Test
    void aBurstAfterAQuieterSpellAdmitsWithinFivePercentOfTheBucket() throws Exception {
        List<RedisLink> links = List.of(connected(), connected(), connected());
        List<LocalSyncRateLimiter> edges = edges(links, Duration.ofSeconds(60));
        String keyId = UUID.randomUUID().toString();
        RateLimit limit = new RateLimit(6_400, 10, null);
        double perSecond = 640;
        try {
            // Each edge spends enough of its first lease that a refill tops it up, then the shared bucket refills.
            for (LocalSyncRateLimiter edge : edges) {
                for (int i = 0; i < 80; i++) {
                    edge.acquire(keyId, limit);
                }
            }
            Thread.sleep(1_500);

            long started = System.nanoTime();
            int total = admitted(edges, 1, 4_000, keyId, limit);
            double refilled = (System.nanoTime() - started) / 1e9 * perSecond;
            System.out.printf("local-sync burst: %d admitted, %.0f refilled during it, %.1f %% over the bucket%n",
                    total, refilled, (total - refilled - 6_400) / 64.0);

            assertThat(links.stream().mapToLong(RedisLink::degraded).sum()).isZero();
            assertThat(total - refilled).as("admitted in the burst beyond the bucket's refill during it")
                    .isLessThanOrEqualTo(6_400 * 1.05);
        } finally {
            edges.forEach(LocalSyncRateLimiter::close);
            links.forEach(RedisLink::close);
        }
    }

    /** A lease of a hundredth of a bucket of 20 would round up to a whole token per edge: 15 % over with three. */
    @Test
    void aSmallBucketSharedByThreeEdgesAdmitsWithinFivePercentAfterAQuieterSpell() throws Exception {
        List<RedisLink> links = List.of(connected(), connected(), connected());
        List<LocalSyncRateLimiter> edges = edges(links, Duration.ofSeconds(60));
        String keyId = UUID.randomUUID().toString();
        RateLimit twentyASecond = new RateLimit(20, 1, null);
        try {
            for (LocalSyncRateLimiter edge : edges) {
                assertThat(edge.acquire(keyId, twentyASecond).allowed()).isTrue();
            }
            Thread.sleep(1_500);

            long started = System.nanoTime();
            int total = admitted(edges, 1, 200, keyId, twentyASecond);
            double refilled = (System.nanoTime() - started) / 1e9 * 20;

            assertThat(links.stream().mapToLong(RedisLink::degraded).sum()).isZero();
            assertThat(total).as("the bucket at least").isGreaterThanOrEqualTo(20);
            assertThat(total - refilled).as("admitted in the burst beyond the bucket's refill during it")
                    .isLessThanOrEqualTo(20 * 1.05);
        } finally {
            edges.forEach(LocalSyncRateLimiter::close);
            links.forEach(RedisLink::close);
        }
    }

    @Test
    void aLoweredLimitHoldsAtOnceThoughTheEdgeLeasedTokensUnderTheOldOne() throws Exception {
        try (RedisLink link = connected();
             LocalSyncRateLimiter edge = new LocalSyncRateLimiter(link, Duration.ofSeconds(30))) {
            String keyId = UUID.randomUUID().toString();
            RateLimit generous = new RateLimit(64_000, 3600, null);
            // A decision leases a batch (64,000 / 100 = 640) in the background, as in the test below.
            edge.acquire(keyId, generous);
            Thread.sleep(500);
            RateLimit tight = new RateLimit(10, 3600, null);
            int admitted = 0;
            for (int i = 0; i < 200; i++) {
                admitted += edge.acquire(keyId, tight).allowed() ? 1 : 0;
            }
            assertThat(admitted).isLessThanOrEqualTo(10);
        }
    }

    /**
     * Edges with no request since a limit was lowered know of no change: the leases they took under the old limit,
     * given back once idle, must not refill the new limit's bucket that another edge's requests spent.
     */
    @Test
    void idleEdgesLeasesOfTheOldLimitDoNotRefillTheLoweredOnesBucket() throws Exception {
        List<RedisLink> links = List.of(connected(), connected(), connected());
        List<LocalSyncRateLimiter> edges = edges(links, Duration.ofSeconds(1));
        String keyId = UUID.randomUUID().toString();
        try {
            RateLimit generous = new RateLimit(10_000, 3600, null);
            // Two edges lease batches of 100 and spend part of them.
            for (int i = 0; i < 60; i++) {
                edges.get(1).acquire(keyId, generous);
                edges.get(2).acquire(keyId, generous);
            }
            RateLimit lowered = new RateLimit(20, 3600, null);
            int admitted = 0;
            // Over three sync intervals, during which the two idle edges give their leases back.
            for (int i = 0; i < 150; i++) {
                admitted += edges.get(0).acquire(keyId, lowered).allowed() ? 1 : 0;
                Thread.sleep(20);
            }

            assertThat(links.stream().mapToLong(RedisLink::degraded).sum()).isZero();
            assertThat(admitted).as("the lowered limit's bucket, once").isLessThanOrEqualTo(20);
        } finally {
            edges.forEach(LocalSyncRateLimiter::close);
            links.forEach(RedisLink::close);
        }
    }

    /**
     * With a leased quota, as the edge pairs them, and a slow rate limit: once the edge knows the quota used up, the
     * key's requests are the quota's refusals for as long as they come, and leave its bucket alone.
     */
    @Test
    void aKeyWhoseQuotaIsUsedUpIsRefusedByItWithoutTakingTokens() throws Exception {
        try (RedisLink link = connected();
             LocalSyncRateLimiter edge = new LocalSyncRateLimiter(link, Duration.ofSeconds(30))) {
            RedisQuotaLimiter quota = RedisQuotaLimiter.leased(link);
            String keyId = UUID.randomUUID().toString();
            RateLimit threeAMinute = new RateLimit(3, 60, null);
            Instant start = Instant.now();
            for (int i = 0; i < 2; i++) {
                assertThat(edge.acquireWithQuota(keyId, threeAMinute, quota, 2, start).quota().allowed()).isTrue();
            }

            // Ten seconds of refusals, two a second: seconds in which the edge also reads the count again.
            for (int i = 0; i < 20; i++) {
                RateAndQuotaState refused = edge.acquireWithQuota(keyId, threeAMinute, quota, 2,
                        start.plusMillis(500L * i));
                assertThat(refused.rateLimit()).as("refusal %d", i + 1).isNull();
                assertThat(refused.quota().allowed()).isFalse();
            }

            assertThat(edge.acquireWithQuota(keyId, threeAMinute, quota, 100, start).rateLimit().allowed())
                    .as("a raised quota finds the bucket's third token").isTrue();
        }
    }

    /**
     * A decision tells the tokens available to the key, its lease included, and when the bucket is full again with the
     * lease counted in: with a burst of 10⁹ the lease is ten million tokens, which the shared bucket alone would take
     * sixteen days to get back.
     */
    @Test
    void theRateLimitFieldsCountTheLeaseAsAvailable() throws Exception {
        try (RedisLink link = connected();
             LocalSyncRateLimiter edge = new LocalSyncRateLimiter(link, Duration.ofSeconds(30))) {
            String keyId = UUID.randomUUID().toString();
            RateLimit bigBurst = new RateLimit(7, 1, 1_000_000_000L);
            edge.acquire(keyId, bigBurst);
            RateLimitState fromLease = null;
            for (int i = 0; i < 200 && fromLease == null; i++) {
                Thread.sleep(10);
                RateLimitState state = edge.acquire(keyId, bigBurst);
                // Taken from the lease once the refill is in: the shared bucket then lacks its ten million tokens.
                if (Long.parseLong(redis.cli("HGET", "latchkey:rl:" + keyId, "n").split("\\.")[0]) < 999_000_000L) {
                    fromLease = state;
                }
            }

            assertThat(fromLease).isNotNull();
            assertThat(fromLease.allowed()).isTrue();
            assertThat(fromLease.remaining()).isGreaterThan(999_999_000L);
            assertThat(fromLease.resetSeconds()).isLessThan(200L);
        }
    }

    /**
     * The seconds to full count what the shared bucket refilled since its last reply: traffic below the limit keeps
     * them at a second or so, where counting only the lease's tokens taken made them grow by one every five requests.
     */
    @Test
    void theSecondsToFullCountTheRefillSinceTheLastReply() throws Exception {
        try (RedisLink link = connected();
             LocalSyncRateLimiter edge = new LocalSyncRateLimiter(link, Duration.ofSeconds(30))) {
            String keyId = UUID.randomUUID().toString();
            RateLimit fiveASecond = new RateLimit(5, 1, 1_000_000_000L);
            long most = 0;
            for (int i = 0; i < 20; i++) {
                most = Math.max(most, edge.acquire(keyId, fiveASecond).resetSeconds());
                Thread.sleep(300);
            }
            assertThat(most).as("the most seconds to full told, 20 requests at about 3 a second")
                    .isLessThanOrEqualTo(2);
        }
    }

    /**
     * A key's first requests find its lease empty and ask the shared bucket while the first refill is on its way. A
     * reply Redis gave after that refill's take, read before the refill's tokens reached the lease, counted ten
     * million tokens as missing: two million seconds to full for a burst of 10⁹ at 5 a second.
     */
    @Test
    void theFirstAnswersCountALeaseStillOnItsWay() throws Exception {
        try (RedisLink link = connected();
             LocalSyncRateLimiter edge = new LocalSyncRateLimiter(link, Duration.ofSeconds(30))) {
            RateLimit fiveASecond = new RateLimit(5, 1, 1_000_000_000L);
            long most = 0;
            for (int key = 0; key < 100; key++) {
                String keyId = UUID.randomUUID().toString();
                for (int i = 0; i < 3; i++) {
                    most = Math.max(most, edge.acquire(keyId, fiveASecond).resetSeconds());
                }
            }
            assertThat(most).as("the most seconds to full told, a fresh key's first three requests, 100 keys")
                    .isLessThanOrEqualTo(1);
        }
    }

    /** A fresh key's first request, taken while its lease's first refill is on its way, is told as taken. */
    @Test
    void anAdmittedRequestNeverTellsAFullBucket() throws Exception {
        try (RedisLink link = connected();
             LocalSyncRateLimiter edge = new LocalSyncRateLimiter(link, Duration.ofSeconds(30))) {
            RateLimit thousand = new RateLimit(1_000, 100, null);
            for (int key = 0; key < 50; key++) {
                RateLimitState first = edge.acquire(UUID.randomUUID().toString(), thousand);
                assertThat(first.allowed()).isTrue();
                assertThat(first.remaining()).as("r after one of 1,000").isLessThanOrEqualTo(999);
                assertThat(first.resetSeconds()).as("t after one of 1,000").isPositive();
            }
        }
    }

    /** Answers from the lease too: an admitted request leaves the bucket short of full, whatever the lease holds. */
    @Test
    void everyAdmittedAnswerTellsABucketShortOfFull() throws Exception {
        try (RedisLink link = connected();
             LocalSyncRateLimiter edge = new LocalSyncRateLimiter(link, Duration.ofSeconds(30))) {
            String keyId = UUID.randomUUID().toString();
            RateLimit tenThousand = new RateLimit(10_000, 3600, null);
            for (int i = 0; i < 20; i++) {
                RateLimitState answer = edge.acquire(keyId, tenThousand);
                assertThat(answer.allowed()).isTrue();
                assertThat(answer.remaining()).as("r of answer %d", i).isLessThanOrEqualTo(9_999);
                assertThat(answer.resetSeconds()).as("t of answer %d", i).isPositive();
                Thread.sleep(50);
            }
        }
    }

    /** A refill on its way to an empty bucket takes nothing: the refusals it overlaps tell no token left. */
    @Test
    void aThrottledKeysRefusalsTellNoTokenLeft() throws Exception {
        try (RedisLink link = connected();
             LocalSyncRateLimiter edge = new LocalSyncRateLimiter(link, Duration.ofSeconds(30))) {
            String keyId = UUID.randomUUID().toString();
            RateLimit oneAMinute = new RateLimit(1, 60, 100L);
            for (int i = 0; i < 300 && edge.acquire(keyId, oneAMinute).allowed(); i++) {
                assertThat(i).as("requests admitted from a bucket of 100").isLessThan(101);
            }
            List<Long> told = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                RateLimitState answer = edge.acquire(keyId, oneAMinute);
                if (!answer.allowed()) {
                    told.add(answer.remaining());
                }
            }
            assertThat(told).as("the tokens refusals told left").hasSizeGreaterThan(20).containsOnly(0L);
        }
    }

    /**
     * A refill whose reply comes after the budget was given up by the edge: its tokens go back to the shared bucket,
     * which with a burst of 10⁹ would otherwise miss ten million of them for sixteen days.
     */
    @Test
    void aLateRefillGivesItsTokensBack() throws Exception {
        RedisServer own = new RedisServer();
        try (RedisLink link = RedisLink.open(own.uri(), Duration.ofMillis(100), Duration.ofMillis(100));
             LocalSyncRateLimiter edge = new LocalSyncRateLimiter(link, Duration.ofSeconds(30))) {
            RedisServer.awaitReachable(link);
            String keyId = UUID.randomUUID().toString();
            RateLimit bigBurst = new RateLimit(7, 1, 1_000_000_000L);
            assertThat(own.cli("CLIENT", "PAUSE", "1000", "ALL")).isEqualTo("OK");

            // The lease is empty: a refill goes out in the background, and this decision is made locally.
            assertThat(edge.acquire(keyId, bigBurst).allowed()).isTrue();

            RedisServer.awaitReachable(link);
            // Should the refill have come in time after all, its lease goes back as the edge stops.
            for (int i = 0; i < 100 && Double.parseDouble("0" + own.cli("HGET", "latchkey:rl:" + keyId, "n"))
                    < 999_000_000; i++) {
                Thread.sleep(10);
            }
            edge.close();
            double tokens = 0;
            for (int i = 0; i < 500 && tokens < 999_000_000; i++) {
                Thread.sleep(10);
                tokens = Double.parseDouble("0" + own.cli("HGET", "latchkey:rl:" + keyId, "n"));
            }
            assertThat(tokens).as("the shared bucket, the late refill given back").isGreaterThan(999_000_000);
        } finally {
            own.close();
        }
    }

    /** A stopping edge gives its leases back rather than leave them missing from the shared bucket. */
    @Test
    void closingGivesTheLeasesBack() throws Exception {
        try (RedisLink link = connected()) {
            String keyId = UUID.randomUUID().toString();
            LocalSyncRateLimiter edge = new LocalSyncRateLimiter(link, Duration.ofSeconds(30));
            RateLimit generous = new RateLimit(64_000, 3600, null);
            edge.acquire(keyId, generous);
            double tokens = 64_000;
            for (int i = 0; i < 200 && tokens > 63_500; i++) {
                Thread.sleep(10);
                tokens = Double.parseDouble("0" + redis.cli("HGET", "latchkey:rl:" + keyId, "n"));
            }
            assertThat(tokens).as("a lease of 640 taken").isLessThan(63_500);

            edge.close();

            assertThat(Double.parseDouble(redis.cli("HGET", "latchkey:rl:" + keyId, "n"))).isGreaterThan(63_990);
        }
    }

    @Test
    void unusedLeasesGoBackToTheSharedBucket() throws Exception {
        try (RedisLink first = connected(); RedisLink second = connected();
             LocalSyncRateLimiter idle = new LocalSyncRateLimiter(first, Duration.ofMillis(100));
             LocalSyncRateLimiter busy = new LocalSyncRateLimiter(second, Duration.ofMillis(100))) {
            String keyId = UUID.randomUUID().toString();
            RateLimit sixHundredFortyPerHour = new RateLimit(640, 3600, null);
            // One request leases a batch (640 / 100 = 6) to the idle edge in the background.
            idle.acquire(keyId, sixHundredFortyPerHour);
            Thread.sleep(500);
            int admitted = 0;
            for (int i = 0; i < 700; i++) {
                admitted += busy.acquire(keyId, sixHundredFortyPerHour).allowed() ? 1 : 0;
            }
            // A refill that took the last token as the loop ended lands in the busy edge's lease afterwards, and an
            // idle lease goes back after 100 ms: what was not admitted yet is admitted now.
            Thread.sleep(300);
            for (int i = 0; i < 20; i++) {
                admitted += busy.acquire(keyId, sixHundredFortyPerHour).allowed() ? 1 : 0;
            }
            assertThat(admitted).isEqualTo(639);
        }
    }

    @Test
    void whileRedisIsDownDecisionsAreLocalAndCounted() throws Exception {
        RedisServer own = new RedisServer();
        try (RedisLink link = RedisLink.open(own.uri(), Duration.ofMillis(50), Duration.ofMillis(100));
             LocalSyncRateLimiter limiter = new LocalSyncRateLimiter(link, Duration.ofMillis(100))) {
            for (int i = 0; i < 500 && !link.healthy(); i++) {
                Thread.sleep(10);
            }
            String keyId = UUID.randomUUID().toString();
            RateLimit three = new RateLimit(3, 3600, null);
            own.stop();
            limiter.acquire(keyId, three);
            Thread.sleep(50);
            long before = link.degraded();
            assertThat(Admissions.admitted(limiter, keyId, three, 10)).as("the bucket's three, one taken before")
                    .isEqualTo(2);
            assertThat(link.degraded() - before).isEqualTo(10);
        } finally {
            own.close();
        }
    }

    @Test
    void aKeyTheSharedBucketThrottlesStaysThrottledWhenRedisGoesAway() throws Exception {
        RedisServer own = new RedisServer();
        try (RedisLink link = RedisLink.open(own.uri(), Duration.ofMillis(50), Duration.ofMillis(100));
             LocalSyncRateLimiter limiter = new LocalSyncRateLimiter(link, Duration.ofSeconds(60))) {
            for (int i = 0; i < 500 && !link.healthy(); i++) {
                Thread.sleep(10);
            }
            String keyId = UUID.randomUUID().toString();
            RateLimit twoHundred = new RateLimit(200, 3600, null);
            assertThat(Admissions.admitted(limiter, keyId, twoHundred, 400)).isEqualTo(200);
            assertThat(link.degraded()).isZero();

            own.stop();
            long before = link.degraded();
            assertThat(Admissions.admitted(limiter, keyId, twoHundred, 50))
                    .as("the local bucket goes on from the shared one's last state, not full").isLessThanOrEqualTo(2);
            assertThat(link.degraded() - before).isEqualTo(50);
        } finally {
            own.close();
        }
    }

    @Test
    void anEdgeStartedBeforeRedisUsesRedisOnceItIsUp() throws Exception {
        RedisServer late = new RedisServer();
        late.stop();
        try (RedisLink link = RedisLink.open(late.uri(), Duration.ofMillis(50), Duration.ofMillis(100));
             LocalSyncRateLimiter limiter = new LocalSyncRateLimiter(link, Duration.ofMillis(100))) {
            String keyId = UUID.randomUUID().toString();
            RateLimit limit = new RateLimit(640, 3600, null);
            limiter.acquire(keyId, limit);
            assertThat(link.degraded()).isEqualTo(1);
            late.start();
            for (int i = 0; i < 250 && late.cli("EXISTS", "latchkey:rl:" + keyId).equals("0"); i++) {
                limiter.acquire(keyId, limit);
                Thread.sleep(20);
            }
            assertThat(late.cli("EXISTS", "latchkey:rl:" + keyId)).isEqualTo("1");
        } finally {
            late.close();
        }
    }
}
