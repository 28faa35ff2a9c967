package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.QuotaLimiter;
import io.latchkey.validator.RateLimiter;
import io.latchkey.validator.RateAndQuotaState;
import io.latchkey.validator.ratelimit.LocalQuotaLimiter;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A key with both a rate limit and a monthly quota in exact mode: decided by one script in one round trip, with the
 * answers the rate limiter and then the quota limiter would give, against real, private redis-servers.
 */
class ExactRateAndQuotaTest {

    private static final Instant NOW = Instant.now();
    private static final YearMonth MONTH = YearMonth.from(NOW.atZone(ZoneOffset.UTC));

    private static String keyId() {
        return UUID.randomUUID().toString();
    }

    private static RedisLink link(RedisServer redis) throws InterruptedException {
        RedisLink link = RedisLink.open(redis.uri(), Duration.ofMillis(200), Duration.ofMillis(100));
        RedisServer.awaitReachable(link);
        return link;
    }

    @FunctionalInterface
    private interface BothLimitersTest {
        void run(RedisServer redis, RedisLink link, ExactRedisRateLimiter limiter, RedisQuotaLimiter quota)
                throws Exception;
    }

    /** Runs {@code test} with a rate limiter and an exact quota limiter on one link to a private redis-server. */
    private static void withBothLimiters(BothLimitersTest test) throws Exception {
        try (RedisServer redis = new RedisServer(); RedisLink link = link(redis)) {
            test.run(redis, link, new ExactRedisRateLimiter(link), RedisQuotaLimiter.exact(link));
        }
    }

    /** Two edges, each with both limiters on a link of its own to one private redis-server. */
    private record TwoEdges(RedisServer redis, RedisLink linkA, ExactRedisRateLimiter limiterA,
                            RedisQuotaLimiter quotaA, RedisLink linkB, ExactRedisRateLimiter limiterB,
                            RedisQuotaLimiter quotaB) {

        /**
         * Stops Redis, and waits until Lettuce has seen A's connection close: a call made before is written to the
         * closing connection and, though not sent again, its request decided in A's test as it happened to go.
         */
        void stopRedis() throws InterruptedException {
            redis.stop();
            for (int i = 0; i < 500 && linkA.sharedConnectionOpen(); i++) {
                Thread.sleep(10);
            }
            assertThat(linkA.sharedConnectionOpen()).isFalse();
        }

        void startRedis() throws InterruptedException {
            redis.start();
            RedisServer.awaitReachable(linkA);
            RedisServer.awaitReachable(linkB);
        }
    }

    @FunctionalInterface
    private interface TwoEdgesTest {
        void run(TwoEdges edges) throws Exception;
    }

    private static void withTwoEdges(TwoEdgesTest test) throws Exception {
        try (RedisServer redis = new RedisServer(); RedisLink linkA = link(redis); RedisLink linkB = link(redis)) {
            test.run(new TwoEdges(redis, linkA, new ExactRedisRateLimiter(linkA), RedisQuotaLimiter.exact(linkA),
                    linkB, new ExactRedisRateLimiter(linkB), RedisQuotaLimiter.exact(linkB)));
        }
    }

    private static long scriptCalls(RedisServer redis) {
        return redis.calls("evalsha") + redis.calls("eval");
    }

    private static String count(RedisServer redis, String keyId) {
        return redis.cli("GET", "latchkey:quota:" + keyId + ":" + MONTH);
    }

    @Test
    void eachDecisionOfAKeyWithARateLimitAndAQuotaIsOneRoundTripAndCountsOnlyWhatTheRateLimitAdmits()
            throws Exception {
        withBothLimiters((redis, link, limiter, quota) -> {
            String keyId = keyId();
            RateLimit tenPerHour = new RateLimit(10, 3600, null);
            // On another key, so that the count below starts with the script surely in Redis: loaded ahead by the
            // link, or else by this call's EVAL after a NOSCRIPT answer.
            limiter.acquireWithQuota(keyId(), tenPerHour, quota, 15, NOW);
            long callsBefore = scriptCalls(redis);

            List<RateAndQuotaState> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                // Half of them through the call that does not block.
                answers.add(i % 2 == 0 ? limiter.acquireWithQuota(keyId, tenPerHour, quota, 15, NOW)
                        : limiter.acquireWithQuotaAsync(keyId, tenPerHour, quota, 15, NOW).toCompletableFuture()
                                .join());
            }

            assertThat(scriptCalls(redis) - callsBefore).as("scripts run for 20 decisions").isEqualTo(20);
            assertThat(answers).filteredOn(answer -> answer.rateLimit().allowed()).hasSize(10)
                    .allSatisfy(answer -> assertThat(answer.quota().allowed()).isTrue());
            assertThat(answers.get(9).quota().used()).isEqualTo(10);
            assertThat(answers.subList(10, 20)).allSatisfy(answer -> assertThat(answer.quota()).isNull());
            assertThat(count(redis, keyId)).as("the month's count in Redis").isEqualTo("10");
        });
    }

    /**
     * The same requests for two keys, one through the combined script, one through the two limiters in turn: the same
     * answers while the quota has room, and from then on the quota's refusal, which the script gives without asking
     * the bucket.
     */
    @Test
    void theCombinedAnswerIsTheRateLimitersAndThenTheQuotaLimiters() throws Exception {
        withBothLimiters((redis, link, limiter, quota) -> {
            // The interface's own way: the rate limit, then the quota when the rate limit admitted the request.
            RateLimiter inTurn = limiter::acquire;
            String combinedKey = keyId();
            String inTurnKey = keyId();
            RateLimit limit = new RateLimit(6, 3600, 8L);

            for (int i = 0; i < 12; i++) {
                // A quota lowered part-way, as an operator may: the count so far stays.
                long requestsPerMonth = i < 6 ? 5 : 4;
                RateAndQuotaState combined = limiter.acquireWithQuota(combinedKey, limit, quota, requestsPerMonth, NOW);
                RateAndQuotaState separate = inTurn.acquireWithQuota(inTurnKey, limit, quota, requestsPerMonth, NOW);
                assertThat(combined.quota()).as("request %d", i + 1).isEqualTo(separate.quota());
                if (i < 5) {
                    // The buckets' seconds to full may differ by one: their refills are a moment apart.
                    assertThat(combined.rateLimit().allowed()).as("request %d", i + 1)
                            .isEqualTo(separate.rateLimit().allowed());
                    assertThat(combined.rateLimit().remaining()).isEqualTo(separate.rateLimit().remaining());
                } else {
                    assertThat(combined.rateLimit()).as("request %d", i + 1).isNull();
                }
            }
            assertThat(count(redis, combinedKey)).isEqualTo(count(redis, inTurnKey)).isEqualTo("5");
        });
    }

    /**
     * A key whose quota is used up is refused by it on every request, never by a bucket its refused requests emptied;
     * the edge that saw the count reach the quota refuses without asking Redis, but for a read of the count once a
     * second.
     */
    @Test
    void aKeyWhoseQuotaIsUsedUpIsRefusedByItAloneAndItsRefusalsTakeNoToken() throws Exception {
        withBothLimiters((redis, link, limiter, quota) -> {
            String keyId = keyId();
            RateLimit three = new RateLimit(3, 3600, null);
            for (int i = 0; i < 2; i++) {
                assertThat(limiter.acquireWithQuota(keyId, three, quota, 2, NOW).quota().allowed()).isTrue();
            }
            long callsBefore = scriptCalls(redis);

            for (int i = 0; i < 10; i++) {
                RateAndQuotaState refused = i % 2 == 0 ? limiter.acquireWithQuota(keyId, three, quota, 2, NOW)
                        : limiter.acquireWithQuotaAsync(keyId, three, quota, 2, NOW).toCompletableFuture().join();
                assertThat(refused.rateLimit()).as("request %d: no token taken", i + 3).isNull();
                assertThat(refused.quota().allowed()).isFalse();
                assertThat(refused.quota().used()).isEqualTo(2);
            }
            assertThat(scriptCalls(redis) - callsBefore).as("Redis not asked for 10 refusals").isZero();
            assertThat(limiter.acquireWithQuota(keyId, three, quota, 2, NOW.plusSeconds(1)).rateLimit()).isNull();
            for (int i = 0; i < 500 && scriptCalls(redis) - callsBefore < 1; i++) {
                Thread.sleep(10);
            }
            assertThat(scriptCalls(redis) - callsBefore).as("the count read again a second later").isEqualTo(1);

            // The bucket kept its third token: a raised quota admits one request, and then the bucket is empty.
            RateAndQuotaState raised = limiter.acquireWithQuota(keyId, three, quota, 10, NOW);
            assertThat(raised.rateLimit().allowed()).isTrue();
            assertThat(raised.quota().used()).isEqualTo(3);
            assertThat(limiter.acquireWithQuota(keyId, three, quota, 10, NOW).rateLimit().allowed()).isFalse();
            assertThat(count(redis, keyId)).isEqualTo("3");
        });
    }

    /**
     * An edge that does not know the quota used up at another edge learns it from the script, which leaves the bucket
     * alone but for the tokens this edge's local bucket gave while Redis was away, and still adds what this edge
     * admitted then to the count, once.
     */
    @Test
    void aQuotaUsedUpAtAnotherEdgeRefusesThereWithoutATokenAndSettlesWhatThisEdgeAdmittedOffline() throws Exception {
        withTwoEdges(edges -> {
            String keyId = keyId();
            RateLimit ten = new RateLimit(10, 3600, null);

            edges.stopRedis();
            for (int i = 0; i < 2; i++) {
                assertThat(edges.limiterA().acquireWithQuota(keyId, ten, edges.quotaA(), 5, NOW).quota().allowed())
                        .isTrue();
            }
            edges.startRedis();
            for (int i = 0; i < 5; i++) {
                assertThat(edges.limiterB().acquireWithQuota(keyId, ten, edges.quotaB(), 5, NOW).quota().allowed())
                        .isTrue();
            }

            RateAndQuotaState refused = edges.limiterA().acquireWithQuota(keyId, ten, edges.quotaA(), 5, NOW);

            assertThat(refused.rateLimit()).isNull();
            assertThat(refused.quota().allowed()).isFalse();
            assertThat(refused.quota().used()).as("B's 5 and A's 2").isEqualTo(7);
            assertThat(count(edges.redis(), keyId)).isEqualTo("7");
            assertThat(Double.parseDouble(edges.redis().cli("HGET", "latchkey:rl:" + keyId, "n")))
                    .as("the shared bucket after B's 5 and the 2 A admitted offline").isBetween(3.0, 3.5);
            assertThat(edges.quotaA().usedUp(keyId, 5, NOW).used()).as("A carried its 2 once").isEqualTo(7);
        });
    }

    @Test
    void whileRedisIsDownBothAreDecidedLocallyAndTheQuotasAdmissionsAreAddedWhenItReturns() throws Exception {
        withBothLimiters((redis, link, limiter, quota) -> {
            String keyId = keyId();
            RateLimit hundred = new RateLimit(100, 3600, null);
            for (int i = 0; i < 4; i++) {
                assertThat(limiter.acquireWithQuota(keyId, hundred, quota, 10, NOW).quota().allowed()).isTrue();
            }

            redis.stop();
            long degradedBefore = link.degraded();
            int admitted = 0;
            for (int i = 0; i < 20; i++) {
                RateAndQuotaState answer = limiter.acquireWithQuota(keyId, hundred, quota, 10, NOW);
                if (answer.quota().allowed()) {
                    assertThat(answer.rateLimit().allowed()).isTrue();
                    admitted++;
                } else {
                    assertThat(answer.rateLimit()).as("a quota the edge knows used up takes no token").isNull();
                }
            }
            assertThat(admitted).as("the quota's remainder").isEqualTo(6);
            // The refusals after them come from what the edge knows, as they would with Redis there.
            assertThat(link.degraded() - degradedBefore).as("one for each limiter of each admission").isEqualTo(12);

            // A restarted Redis knows nothing: it is given the 6 admitted without it, with this request.
            redis.start();
            RedisServer.awaitReachable(link);
            assertThat(limiter.acquireWithQuota(keyId, hundred, quota, 20, NOW).quota().used()).isEqualTo(7);
            assertThat(count(redis, keyId)).isEqualTo("7");
        });
    }

    /** As with the rate limit alone: what the local buckets gave while Redis stalled is charged to the shared one. */
    @Test
    void stallsOfRedisDoNotLetAKeyWithAQuotaPassItsRateLimit() throws Exception {
        try (RedisServer redis = new RedisServer();
             RedisLink link = RedisLink.open(redis.uri(), Duration.ofMillis(50), Duration.ofMillis(100))) {
            RedisServer.awaitReachable(link);
            ExactRedisRateLimiter limiter = new ExactRedisRateLimiter(link);
            RedisQuotaLimiter quota = RedisQuotaLimiter.exact(link);
            String keyId = keyId();
            RateLimit ten = new RateLimit(10, 3600, null);
            long degradedBefore = link.degraded();
            int admitted = 0;
            for (int stall = 0; stall < 8; stall++) {
                assertThat(redis.cli("CLIENT", "PAUSE", "200", "ALL")).isEqualTo("OK");
                for (int i = 0; i < 6; i++) {
                    admitted += admitted(limiter.acquireWithQuota(keyId, ten, quota, 1_000, NOW));
                }
                Thread.sleep(150);
                admitted += admitted(limiter.acquireWithQuota(keyId, ten, quota, 1_000, NOW));
            }
            Thread.sleep(300);
            for (int i = 0; i < 5; i++) {
                admitted += admitted(limiter.acquireWithQuota(keyId, ten, quota, 1_000, NOW));
            }

            assertThat(link.degraded() - degradedBefore).as("the stalls were decided locally").isGreaterThan(10);
            assertThat(admitted).isBetween(8, 10);
        }
    }

    private static int admitted(RateAndQuotaState answer) {
        return answer.rateLimit() != null && answer.rateLimit().allowed() && answer.quota().allowed() ? 1 : 0;
    }

    /** As with the counter alone: the combined script's late replies take back what the edge carries again. */
    @Test
    void lateRepliesOfTheCombinedScriptCountNothingTwice() throws Exception {
        withBothLimiters((redis, link, limiter, quota) -> {
            String keyId = keyId();
            RateLimit hundred = new RateLimit(100, 3600, null);
            for (int i = 0; i < 2; i++) {
                assertThat(limiter.acquireWithQuota(keyId, hundred, quota, 10, NOW).quota().allowed()).isTrue();
            }
            assertThat(redis.cli("CLIENT", "PAUSE", "1500", "ALL")).isEqualTo("OK");
            for (int i = 0; i < 5; i++) {
                assertThat(limiter.acquireWithQuota(keyId, hundred, quota, 10, NOW).quota().allowed()).isTrue();
            }

            // A PING on the same connection: its reply comes after the late ones, which are read first.
            RedisServer.awaitReachable(link);
            assertThat(Long.parseLong(count(redis, keyId)) + quota.unsettled(keyId)).as("the 7 admitted").isEqualTo(7);
            RateAndQuotaState next = limiter.acquireWithQuota(keyId, hundred, quota, 10, NOW);

            assertThat(next.quota().used()).as("the 7 admitted and this one").isEqualTo(8);
            assertThat(count(redis, keyId)).isEqualTo("8");
        });
    }

    /** A request of the month before, decided after the new month's first, is counted in its own month's count. */
    @Test
    void aLateRequestOfTheMonthBeforeIsCountedInThatMonth() throws Exception {
        withBothLimiters((redis, link, limiter, quota) -> {
            String keyId = keyId();
            RateLimit hundred = new RateLimit(100, 3600, null);
            Instant nextMonth = MONTH.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();

            assertThat(limiter.acquireWithQuota(keyId, hundred, quota, 1, nextMonth).quota().allowed()).isTrue();
            RateAndQuotaState late = limiter.acquireWithQuota(keyId, hundred, quota, 1, nextMonth.minusSeconds(60));

            assertThat(late.quota().allowed()).as("the month before's first request").isTrue();
            assertThat(count(redis, keyId)).isEqualTo("1");
            assertThat(redis.cli("GET", "latchkey:quota:" + keyId + ":" + MONTH.plusMonths(1))).isEqualTo("1");
            assertThat(limiter.acquireWithQuota(keyId, hundred, quota, 1, nextMonth).quota().allowed())
                    .as("the new month's quota is used up").isFalse();
        });
    }

    /** A quota limiter the script cannot stand for is asked as the interface asks it, on the caller's thread. */
    @Test
    void anyOtherQuotaLimiterIsAskedInTurnOnTheCallersThread() throws Exception {
        try (RedisServer redis = new RedisServer(); RedisLink link = link(redis)) {
            ExactRedisRateLimiter limiter = new ExactRedisRateLimiter(link);
            QuotaLimiter local = LocalQuotaLimiter.create();
            List<Thread> askedOn = new ArrayList<>();
            QuotaLimiter recording = (keyId, requestsPerMonth, now) -> {
                askedOn.add(Thread.currentThread());
                return local.consume(keyId, requestsPerMonth, now);
            };
            String keyId = keyId();
            RateLimit two = new RateLimit(2, 3600, null);
            // As in the first test: the count below starts with the script surely in Redis.
            limiter.acquire(keyId(), two);
            long callsBefore = scriptCalls(redis);

            List<Boolean> admitted = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                RateAndQuotaState answer = limiter.acquireWithQuota(keyId, two, recording, 1, NOW);
                admitted.add(answer.rateLimit().allowed() && answer.quota().allowed());
            }

            assertThat(admitted).containsExactly(true, false, false);
            assertThat(askedOn).as("asked for the two requests the rate limit admitted")
                    .containsExactly(Thread.currentThread(), Thread.currentThread());
            assertThat(scriptCalls(redis) - callsBefore).as("the bucket's script once a request").isEqualTo(3);
        }
    }

    /**
     * The requests an edge admitted while Redis was away are added to the month's count by its next call, also when
     * that call's rate limit refuses the request (and counts nothing for it).
     */
    @Test
    void aRequestTheSharedBucketRefusesStillCarriesWhatTheEdgeAdmittedOffline() throws Exception {
        withTwoEdges(edges -> {
            String keyId = keyId();
            RateLimit three = new RateLimit(3, 3600, null);

            edges.stopRedis();
            for (int i = 0; i < 3; i++) {
                assertThat(edges.limiterA().acquireWithQuota(keyId, three, edges.quotaA(), 100, NOW).quota()
                        .allowed()).isTrue();
            }
            edges.startRedis();
            for (int i = 0; i < 3; i++) {
                assertThat(edges.limiterB().acquireWithQuota(keyId, three, edges.quotaB(), 100, NOW).quota()
                        .allowed()).isTrue();
            }
            assertThat(count(edges.redis(), keyId)).isEqualTo("3");

            RateAndQuotaState refused = edges.limiterA().acquireWithQuota(keyId, three, edges.quotaA(), 100, NOW);

            assertThat(refused.rateLimit().allowed()).isFalse();
            assertThat(count(edges.redis(), keyId)).as("B's 3 and the 3 A admitted offline").isEqualTo("6");
            assertThat(edges.quotaA().consume(keyId, 100, NOW).used()).as("A carried them once").isEqualTo(7);
            assertThat(count(edges.redis(), keyId)).isEqualTo("7");
        });
    }
}
