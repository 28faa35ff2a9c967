package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.testing.SettableClock;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UsageCounterTest {

    private static final Instant T0 = Instant.parse("2030-01-01T10:15:20Z");
    private final SettableClock time = new SettableClock(T0);
    private final UsageCounter counter = new UsageCounter(time);

    private static long total(List<UsageCounter.KeyReport> report) {
        return report.stream().flatMap(key -> key.gains().values().stream()).mapToLong(Long::longValue).sum();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/orders|/orders",
            "/orders/|/orders",
            "/orders?page=2|/orders",
            "/orders/12345/items|/orders/{id}/items",
            "/orders/7d3f8a2e-0b1c-4d5e-8f90-123456789abc|/orders/{id}",
            "/v2/orders|/v2/orders",
            "/users/alice@example.com/orders|/users/{id}/orders",
            "/files/deadbeef|/files/{id}",
            "/files/DEADBEEF|/files/{id}",
            "/tags/a%2Fb|/tags/{id}",
            "/users/M\u00c3\u00bcller|/users/{id}",
            "/api/getUserInfo|/api/getUserInfo",
            "/api/GetCustomerByID|/api/GetCustomerByID",
            "/oauth/OAuthToken|/oauth/OAuthToken",
            "/api/facade|/api/facade",
            "/v2beta1/index.html|/v2beta1/index.html",
            "/authorization-codes|/authorization-codes",
            "/orders/lk_live_eFJsJPVOAZYa|/orders/{id}",
            "/x/LK_TEST_abc/y|/x/{id}/y",
            "/admin/lkop_eFJsJPVOAZ|/admin/{id}",
            "/x/token:lk_live_eFJsJPVOAZ|/x/{id}",
            "/lk/links|/lk/links",
            "/lk_/x|/lk_/x",
            "/talk_show/x|/talk_show/x",
            "//a///b|/a/b",
            "/public/../orders/list|/orders/list",
            "/orders/./list|/orders/list",
            "/orders/12/../list/.|/orders/list",
            "/../../orders|/orders",
            "/public/..;/orders/1|/orders/{id}",
            "/orders/list;jsessionid=abc|/orders/list",
            "/orders;v=2/list;key=lk_live_eFJsJPVOAZYa|/orders/list",
            "/orders/..?next=/x|/",
            "/|/",
            "/#top|/",
            "https://api.example.com/orders/42?page=2|/orders/{id}",
            "HTTP://api.example.com|/",
            "http://api.example.com?x=1|/",
            "https://user:lk_live_eFJsJPVOAZYa@api.example.com/a|/a",
            "orders/42|*",
            "orders|*",
            "''|*"})
    void endpointsAreNormalisedSoThatIdsDoNotMakeNewOnes(String uri, String endpoint) {
        assertThat(UsageCounter.normalise(uri)).isEqualTo(endpoint);
    }

    @Test
    void urisWithNewIdsAreCountedUnderTheirEndpointInTheTable() {
        String keyId = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
        for (int i = 0; i < 20_000; i++) {
            counter.record(keyId, "/orders/" + i + "/items?page=" + i, "valid");
        }
        counter.record(keyId, "/orders/{id}/items", "valid");

        assertThat(counter.report(10)).singleElement().satisfies(key -> assertThat(key.gains()).containsOnly(
                Map.entry(new UsageCounter.Bucket(keyId, T0.getEpochSecond() / 60, "/orders/{id}/items", "valid"),
                        20_001L)));
        assertThat(counter.tabledCounters()).isEqualTo(1);
    }

    /** Counted by threads that come and go (an embedded service's), as by the edge's own few. */
    @Test
    void decisionsCountedWithoutAThreadsBufferAreCountedAlike() throws Exception {
        String keyId = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 50; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 20; i++) {
                    counter.recordUnbuffered(keyId, "/orders/" + i, i % 4 == 0 ? "insufficient_scope" : "valid");
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        counter.record(keyId, "/orders/7", "valid");
        counter.recordUnbuffered(null, "/orders", "not_found");

        long minute = T0.getEpochSecond() / 60;
        assertThat(counter.report(10)).flatExtracting(key -> key.gains().entrySet()).containsOnly(
                Map.entry(new UsageCounter.Bucket(keyId, minute, "/orders/{id}", "valid"), 751L),
                Map.entry(new UsageCounter.Bucket(keyId, minute, "/orders/{id}", "insufficient_scope"), 250L),
                Map.entry(new UsageCounter.Bucket(UsageCounter.UNKNOWN_KEY, minute, "/orders", "not_found"), 1L));
    }

    @Test
    void endpointsAreCappedInLengthAndControlCharactersMakeNone() {
        assertThat(UsageCounter.normalise("/" + "x".repeat(500))).hasSize(UsageCounter.MAX_ENDPOINT_LENGTH);
        assertThat(UsageCounter.normalise("/a\u0000b")).isEqualTo(UsageCounter.NO_ENDPOINT);
        // "/users/т" sent raw in UTF-8 (D1 82), as a gateway's X-Original-URI carries it, read a character per byte:
        // folded as a name in Latin letters is, though one of its bytes reads as a control character.
        assertThat(UsageCounter.normalise("/users/\u00d1\u0082/orders")).isEqualTo("/users/{id}/orders");
        assertThat(UsageCounter.normalise("/a\u007fb")).isEqualTo(UsageCounter.NO_ENDPOINT);
        assertThat(UsageCounter.normalise("/caf\u00c3\u00a9")).as("past ASCII: a name, most likely")
                .isEqualTo("/{id}");
        assertThat(UsageCounter.normalise(null)).isEqualTo(UsageCounter.NO_ENDPOINT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"k1", "7d3f8a2e-0b1c-4d5e-8f90-123456789abc"})
    void decisionsAreCountedByKeyMinuteEndpointAndOutcome(String k1) {
        counter.record(k1, "/orders", "valid");
        counter.record(k1, "/orders", "valid");
        counter.record(k1, "/orders", "insufficient_scope");
        counter.record(null, "/orders", "not_found");
        time.set(T0.plusSeconds(60));
        counter.record(k1, "/orders", "valid");

        List<UsageCounter.KeyReport> report = counter.report(100);

        Map<String, UsageCounter.KeyReport> byKey = Map.of(report.get(0).keyId(), report.get(0),
                report.get(1).keyId(), report.get(1));
        long minute = T0.getEpochSecond() / 60;
        assertThat(byKey.get(k1).gains()).containsOnly(
                Map.entry(new UsageCounter.Bucket(k1, minute, "/orders", "valid"), 2L),
                Map.entry(new UsageCounter.Bucket(k1, minute, "/orders", "insufficient_scope"), 1L),
                Map.entry(new UsageCounter.Bucket(k1, minute + 1, "/orders", "valid"), 1L));
        assertThat(byKey.get(k1).lastUsedAt()).isEqualTo(T0.plusSeconds(60));
        assertThat(byKey.get(UsageCounter.UNKNOWN_KEY).gains().values()).containsExactly(1L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"k1", "7d3f8a2e-0b1c-4d5e-8f90-123456789abc"})
    void anUnacknowledgedReportIsSentAgainWithWhatCameSinceAndAnAcknowledgedOneNever(String k1) {
        for (int i = 0; i < 5; i++) {
            counter.record(k1, "/a", "valid");
        }
        List<UsageCounter.KeyReport> failed = counter.report(100);
        assertThat(total(failed)).isEqualTo(5);
        counter.record(k1, "/a", "valid");

        List<UsageCounter.KeyReport> retried = counter.report(100);
        assertThat(total(retried)).isEqualTo(6);
        counter.record(k1, "/a", "valid");
        counter.acknowledge(retried);

        assertThat(total(counter.report(100))).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"k1", "7d3f8a2e-0b1c-4d5e-8f90-123456789abc"})
    void eachKeyKeepsABoundedNumberOfEndpoints(String keyId) {
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < UsageCounter.MAX_ENDPOINTS + 10; i++) {
                counter.record(keyId, "/path-" + (char) ('a' + i % 26) + (char) ('a' + i / 26), "valid");
            }
        }
        List<UsageCounter.KeyReport> report = counter.report(100);
        assertThat(report.get(0).gains()).hasSize(UsageCounter.MAX_ENDPOINTS + 1);
        assertThat(report.get(0).gains().get(new UsageCounter.Bucket(keyId, T0.getEpochSecond() / 60,
                UsageCounter.OTHER_ENDPOINT, "valid"))).isEqualTo(20);
        assertThat(total(report)).isEqualTo(2L * (UsageCounter.MAX_ENDPOINTS + 10));
    }

    @ParameterizedTest
    @ValueSource(strings = {"k", "7d3f8a2e-0b1c-4d5e-8f90-123456789ab"})
    void aReportHoldsAtMostTheKeysAskedForAndTheRestWait(String prefix) {
        for (int i = 0; i < 5; i++) {
            counter.record(prefix + i, "/", "valid");
        }
        List<UsageCounter.KeyReport> first = counter.report(3);
        assertThat(first).hasSize(3);
        counter.acknowledge(first);
        assertThat(counter.report(3)).hasSize(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"k1", "7d3f8a2e-0b1c-4d5e-8f90-123456789abc"})
    void aKeysBucketsPiledUpOverManyMinutesGoInReportsTheCommandSideTakes(String k1) {
        for (int minute = 0; minute < 10; minute++) {
            time.set(T0.plusSeconds(60L * minute));
            counter.record(k1, "/a", "valid");
            counter.record(k1, "/b", "valid");
            counter.record(k1, "/b", "rate_limited");
        }
        long reported = 0;
        List<Integer> sizes = new ArrayList<>();
        for (List<UsageCounter.KeyReport> report = counter.report(100, 7); !report.isEmpty();
             report = counter.report(100, 7)) {
            assertThat(report).singleElement().satisfies(key -> assertThat(key.gains().size()).isBetween(1, 7));
            sizes.add(report.get(0).gains().size());
            reported += total(report);
            counter.acknowledge(report);
        }

        assertThat(reported).isEqualTo(30);
        // Full but for the last: an entry's two counters (/b's outcomes) may not fit the seventh place.
        assertThat(sizes.subList(0, sizes.size() - 1)).as("reports " + sizes).allSatisfy(size ->
                assertThat(size).isGreaterThanOrEqualTo(6));
    }

    @ParameterizedTest
    @ValueSource(strings = {"k1", "7d3f8a2e-0b1c-4d5e-8f90-123456789abc"})
    void minutesTheCommandSideNeverAcknowledgesAreDroppedOnceTooOld(String k1) {
        counter.record(k1, "/a", "valid");
        time.set(T0.plusSeconds(60L * 20));
        counter.record(k1, "/a", "valid");

        // The one report taken fails all the while: the reporter sends it again and again.
        time.set(T0.plusSeconds(60L * (UsageCounter.MAX_HELD_MINUTES - 1)));
        counter.maintain();
        assertThat(total(counter.report(10))).isEqualTo(2);
        counter.failed();
        counter.failed();
        assertThat(counter.droppedUnreported()).isZero();

        time.set(T0.plusSeconds(60L * (UsageCounter.MAX_HELD_MINUTES + 1)));
        counter.failed();
        assertThat(counter.droppedUnreported()).isEqualTo(1);
        assertThat(total(counter.report(10))).as("the later minute is still held").isEqualTo(1);
    }

    @Test
    void onlyFailuresSinceTheLastAcknowledgedReportCountTowardsDroppingAMinute() {
        counter.record("k1", "/a", "valid");
        counter.record("k2", "/a", "valid");
        time.set(T0.plusSeconds(60L * (UsageCounter.MAX_HELD_MINUTES - 1)));
        counter.maintain();
        List<UsageCounter.KeyReport> first = counter.report(1);
        counter.failed();
        counter.failed();
        counter.acknowledge(first);

        time.set(T0.plusSeconds(60L * (UsageCounter.MAX_HELD_MINUTES + 1)));
        counter.maintain();
        assertThat(total(counter.report(1))).isEqualTo(1);
        counter.failed();
        assertThat(counter.droppedUnreported()).as("one failure since a report was acknowledged").isZero();
        counter.failed();
        assertThat(counter.droppedUnreported()).isEqualTo(1);
    }

    @Test
    void aMinuteTwiceTheHoldOldIsDroppedEvenWhileReportsSucceedButFallBehind() {
        counter.record("k1", "/a", "valid");
        counter.record("k2", "/a", "valid");
        time.set(T0.plusSeconds(60L * (2 * UsageCounter.MAX_HELD_MINUTES - 1)));
        counter.maintain();
        counter.acknowledge(counter.report(1));
        assertThat(counter.droppedUnreported()).isZero();

        time.set(T0.plusSeconds(60L * (2 * UsageCounter.MAX_HELD_MINUTES + 1)));
        counter.acknowledge(counter.report(0));
        assertThat(counter.droppedUnreported()).isEqualTo(1);
        assertThat(counter.report(10)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"k1", "7d3f8a2e-0b1c-4d5e-8f90-123456789abc"})
    void aClockJumpingAheadDropsNothingBeforeAReportIsTried(String k1) {
        counter.record(k1, "/a", "valid");
        time.set(T0.plusSeconds(60L * (2 * UsageCounter.MAX_HELD_MINUTES + 5)));
        counter.maintain();
        counter.failed();
        assertThat(counter.droppedUnreported()).as("one failure may be one lost reply").isZero();

        List<UsageCounter.KeyReport> report = counter.report(10);
        assertThat(total(report)).isEqualTo(1);
        counter.acknowledge(report);
        assertThat(counter.droppedUnreported()).isZero();
        assertThat(counter.report(10)).isEmpty();
    }

    @Test
    void pathsWithIdsDoNotUseUpTheEndpoints() {
        String keyId = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
        for (int order = 0; order < 10_050; order++) {
            counter.record(keyId, "/orders/" + order, "valid");
        }
        counter.record(keyId, "/invoices", "valid");

        // Remembered or not, /orders/{id} and /invoices keep their numbers and the table's path.
        assertThat(counter.tabledCounters()).isEqualTo(2);
        assertThat(total(counter.report(10))).isEqualTo(10_051);
    }

    @Test
    void queryStringsDoNotUseUpTheRememberedUris() {
        String keyId = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
        for (int page = 0; page < 10_050; page++) {
            counter.record(keyId, "/orders?page=" + page + "#top", "valid");
        }
        counter.record(keyId, "/invoices", "valid");

        // Both endpoints still take the table's path, so the URIs remembered were one per path, not per query.
        assertThat(counter.tabledCounters()).isEqualTo(2);
        assertThat(total(counter.report(10))).isEqualTo(10_051);
    }

    @ParameterizedTest
    @ValueSource(strings = {"k1", "7d3f8a2e-0b1c-4d5e-8f90-123456789abc"})
    void reportedCountersOfPastMinutesAreDropped(String k1) {
        counter.record(k1, "/", "valid");
        counter.acknowledge(counter.report(100));
        assertThat(counter.size()).isEqualTo(1);
        time.set(T0.plusSeconds(180));
        counter.acknowledge(counter.report(100));
        assertThat(counter.size()).isZero();
        counter.record(k1, "/", "valid");
        assertThat(total(counter.report(100))).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"k1", "7d3f8a2e-0b1c-4d5e-8f90-123456789abc"})
    void aReportedMinuteIsDroppedFifteenSecondsAfterItEndsAndALateDecisionOfItCountsInItMadeAgain(String k1) {
        // T0 is 20 s into its minute.
        long minute = T0.getEpochSecond() / 60;
        counter.record(k1, "/", "valid");
        counter.acknowledge(counter.report(100));
        time.set(T0.plusSeconds(54));
        counter.maintain();
        assertThat(counter.size()).isEqualTo(1);

        time.set(T0.plusSeconds(55));
        counter.maintain();
        assertThat(counter.size()).isZero();

        // A decision of that minute, counted late (its thread stalled), is counted in it, made again.
        time.set(T0);
        counter.record(k1, "/", "valid");
        time.set(T0.plusSeconds(56));
        List<UsageCounter.KeyReport> late = counter.report(100);
        assertThat(total(late)).isEqualTo(1);
        assertThat(late.get(0).gains()).containsOnlyKeys(new UsageCounter.Bucket(k1, minute, "/", "valid"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"k1", "7d3f8a2e-0b1c-4d5e-8f90-123456789abc"})
    void aClockSteppedBackCountsDecisionsInTheirOwnMinutesNotInTheMinuteAfterThoseItRetired(String k1) {
        // The clock runs ten minutes ahead, long enough for a minute to be reported, retired and dropped.
        long minute = T0.getEpochSecond() / 60;
        Instant ahead = T0.plusSeconds(600);
        time.set(ahead);
        counter.record(k1, "/", "valid");
        counter.acknowledge(counter.report(100));
        time.set(ahead.plusSeconds(60));
        counter.maintain();
        assertThat(counter.size()).isZero();

        // Stepped back to the right time: each decision counts in its own minute, none ten minutes ahead of it, and
        // so does one of the minute counted while ahead, made again.
        Map<UsageCounter.Bucket, Long> counted = new HashMap<>();
        for (Instant at : List.of(T0, T0.plusSeconds(60), T0.plusSeconds(120), ahead)) {
            time.set(at);
            counter.record(k1, "/", "valid");
            counter.maintain();
            List<UsageCounter.KeyReport> report = counter.report(100);
            report.forEach(key -> key.gains().forEach((bucket, gain) -> counted.merge(bucket, gain, Long::sum)));
            counter.acknowledge(report);
        }
        assertThat(counted).containsOnly(Map.entry(new UsageCounter.Bucket(k1, minute, "/", "valid"), 1L),
                Map.entry(new UsageCounter.Bucket(k1, minute + 1, "/", "valid"), 1L),
                Map.entry(new UsageCounter.Bucket(k1, minute + 2, "/", "valid"), 1L),
                Map.entry(new UsageCounter.Bucket(k1, minute + 10, "/", "valid"), 1L));
    }

    @Test
    void aFailedReportCountsTheDecisionsWaitingInBatchesInTheirMinuteBeforeItRetires() {
        String keyId = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
        long minute = T0.getEpochSecond() / 60;
        // A key of another form counts at once, in the maps, and makes the minute; the UUID's decision, fewer than a
        // batch, waits in this thread's batch until a fold.
        counter.record("k1", "/", "valid");
        counter.record(keyId, "/", "valid");
        time.set(T0.plusSeconds(60));
        counter.failed();
        Map<UsageCounter.Bucket, Long> counted = new HashMap<>();
        counter.report(100).forEach(key -> counted.putAll(key.gains()));
        assertThat(counted).containsOnlyKeys(new UsageCounter.Bucket("k1", minute, "/", "valid"),
                new UsageCounter.Bucket(keyId, minute, "/", "valid"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"k1", "7d3f8a2e-0b1c-4d5e-8f90-123456789abc"})
    void aMinuteMadeAgainIsNotAcknowledgedByAReportOfTheOneDropped(String k1) {
        long minute = T0.getEpochSecond() / 60;
        counter.record(k1, "/", "valid");
        List<UsageCounter.KeyReport> unanswered = counter.report(100);
        // The command side away for over half an hour: the minute is dropped unreported while that report is out.
        time.set(T0.plusSeconds(60L * (UsageCounter.MAX_HELD_MINUTES + 1)));
        counter.maintain();
        counter.failed();
        counter.failed();
        assertThat(counter.droppedUnreported()).isEqualTo(1);

        // The clock stepped back into that minute: a decision makes it again, and the old report, answered at last,
        // does not pass for the acknowledgement of the new count.
        time.set(T0);
        counter.record(k1, "/", "valid");
        counter.acknowledge(unanswered);
        List<UsageCounter.KeyReport> report = counter.report(100);
        assertThat(report).hasSize(1);
        assertThat(report.get(0).gains()).containsOnly(Map.entry(new UsageCounter.Bucket(k1, minute, "/", "valid"),
                1L));
    }

    @ParameterizedTest
    @ValueSource(strings = {"k1", "7d3f8a2e-0b1c-4d5e-8f90-123456789abc"})
    void aMinuteIsKeptWhileItsReportWaitsForAnAcknowledgementAndALateDecisionOfItCountsInTheMinuteAfter(String k1) {
        long minute = T0.getEpochSecond() / 60;
        counter.record(k1, "/", "valid");
        List<UsageCounter.KeyReport> pending = counter.report(100);
        time.set(T0.plusSeconds(120));
        counter.maintain();
        assertThat(counter.size()).isEqualTo(1);

        // Retired and held (being reported): a decision of it, counted late, counts in the minute after it.
        time.set(T0);
        counter.record(k1, "/", "valid");
        counter.acknowledge(pending);
        assertThat(counter.size()).isEqualTo(1);
        List<UsageCounter.KeyReport> late = counter.report(100);
        assertThat(late.get(0).gains()).containsOnly(Map.entry(new UsageCounter.Bucket(k1, minute + 1, "/", "valid"),
                1L));
        counter.acknowledge(late);
        time.set(T0.plusSeconds(120));
        counter.maintain();
        assertThat(counter.size()).isZero();
        assertThat(counter.report(100)).isEmpty();
    }

    @Test
    void theNextMinutesCountersAreMadeInTheLastThirtySecondsOfAMinuteAndTakenWhenItBegins() {
        String keyId = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
        long minute = T0.getEpochSecond() / 60;
        counter.record(keyId, "/orders", "valid");
        // T0 is 20 s into its minute.
        counter.maintain();
        time.set(T0.plusSeconds(9));
        counter.maintain();
        assertThat(counter.madeAhead()).isEqualTo(-1);

        time.set(T0.plusSeconds(10));
        counter.maintain();
        assertThat(counter.madeAhead()).isEqualTo(minute + 1);

        time.set(T0.plusSeconds(40));
        counter.record(keyId, "/orders", "valid");
        counter.maintain();
        assertThat(counter.madeAhead()).isEqualTo(-1);
        assertThat(counter.report(100)).singleElement().satisfies(key -> assertThat(key.gains()).containsOnly(
                Map.entry(new UsageCounter.Bucket(keyId, minute, "/orders", "valid"), 1L),
                Map.entry(new UsageCounter.Bucket(keyId, minute + 1, "/orders", "valid"), 1L)));
    }

    @Test
    void aMinuteIsNotDroppedWhileATableCountIsUnreported() {
        counter.record("7d3f8a2e-0b1c-4d5e-8f90-123456789abc", "/", "valid");
        List<UsageCounter.KeyReport> first = counter.report(100);
        counter.record("7d3f8a2e-0b1c-4d5e-8f90-123456789abc", "/", "valid");
        counter.acknowledge(first);
        time.set(T0.plusSeconds(180));
        counter.acknowledge(List.of());

        assertThat(counter.size()).isEqualTo(1);
        assertThat(total(counter.report(100))).isEqualTo(1);
    }

    @Test
    void pairsBeyondTheTablesRoomAndOutcomesBeyondItsSlotsAreCountedInTheMapsAndReportedAlike() {
        UsageCounter small = new UsageCounter(Clock.fixed(T0, ZoneOffset.UTC), 1024);
        List<String> keyIds = new ArrayList<>();
        for (int i = 0; i < 700; i++) {
            keyIds.add(UUID.randomUUID().toString());
        }
        for (int round = 0; round < 3; round++) {
            keyIds.forEach(keyId -> small.record(keyId, "/orders", "valid"));
        }
        for (int outcome = 0; outcome < 12; outcome++) {
            small.record(keyIds.get(0), "/orders", "outcome_" + outcome);
        }

        // At most half the largest array (fewer when a run passed the probe limit): the rest went to the maps.
        assertThat(small.tabledCounters()).isBetween(450, 512);
        List<UsageCounter.KeyReport> report = small.report(1_000);
        assertThat(report).hasSize(700);
        long minute = T0.getEpochSecond() / 60;
        assertThat(report).allSatisfy(key -> assertThat(key.gains())
                .containsEntry(new UsageCounter.Bucket(key.keyId(), minute, "/orders", "valid"), 3L)
                .hasSize(key.keyId().equals(keyIds.get(0)) ? 13 : 1));
    }

    @Test
    void aKeysEndpointsInTheMapsAndInTheTableShareOneCap() {
        String keyId = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
        // Ten outcomes take the table's slots; an eleventh is counted in the maps, here at ten endpoints.
        for (int outcome = 0; outcome < UsageTable.OUTCOMES; outcome++) {
            counter.record(keyId, "/p0", "outcome_" + outcome);
        }
        for (int i = 0; i < 10; i++) {
            counter.record(keyId, "/m" + (char) ('a' + i), "outcome_more");
        }
        for (int i = 0; i < 40; i++) {
            counter.record(keyId, "/t" + (char) ('a' + i % 26) + (char) ('a' + i / 26), "outcome_0");
        }

        Map<String, Long> byEndpoint = new TreeMap<>();
        counter.report(10).forEach(key -> key.gains().forEach(
                (bucket, gain) -> byEndpoint.merge(bucket.endpoint(), gain, Long::sum)));
        assertThat(byEndpoint).hasSize(UsageCounter.MAX_ENDPOINTS + 1)
                .containsEntry(UsageCounter.OTHER_ENDPOINT, 40L - (UsageCounter.MAX_ENDPOINTS - 10 - 1));
        assertThat(byEndpoint.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(60);
    }

    @Test
    void decisionsOfAThreadThatEndedAreReportedThoughItsBatchWasNotFull() throws Exception {
        String keyId = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
        Thread counting = new Thread(() -> {
            for (int i = 0; i < PendingDecisions.CAPACITY + 5; i++) {
                counter.record(keyId, "/orders", "valid");
            }
        });
        counting.start();
        counting.join();

        assertThat(total(counter.report(10))).isEqualTo(PendingDecisions.CAPACITY + 5);
    }

    @Test
    void reportsTakenWhileThreadsCountAddUpToEveryDecisionOnceAcknowledged() throws Exception {
        UsageCounter shared = new UsageCounter(Clock.systemUTC());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            done.add(pool.submit(() -> {
                for (int i = 0; i < 200_000; i++) {
                    shared.record(new UUID(7, i % 5_000).toString(), "/orders/" + (i % 3), "valid");
                }
            }));
        }
        long reported = 0;
        while (!done.stream().allMatch(Future::isDone)) {
            List<UsageCounter.KeyReport> report = shared.report(10_000);
            reported += total(report);
            shared.acknowledge(report);
        }
        for (Future<?> thread : done) {
            thread.get();
        }
        pool.shutdown();
        reported += total(shared.report(10_000));

        assertThat(reported).isEqualTo(400_000);
    }

    @Test
    void everyDecisionOfManyThreadsIsCountedExactly() throws Exception {
        int threads = 4;
        int perThread = 25_000;
        UsageCounter shared = new UsageCounter(Clock.systemUTC());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String keyId = "k" + (t % 2);
            done.add(pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    shared.record(keyId, i % 2 == 0 ? "/orders" : "/orders/" + i,
                            i % 10 == 0 ? "rate_limited" : "valid");
                }
            }));
        }
        for (Future<?> thread : done) {
            thread.get();
        }
        pool.shutdown();
        List<UsageCounter.KeyReport> report = shared.report(100);
        assertThat(total(report)).isEqualTo((long) threads * perThread);
        assertThat(report).hasSize(2).allSatisfy(key -> assertThat(key.gains().values().stream()
                .mapToLong(Long::longValue).sum()).isEqualTo(2L * perThread));
        // Each key alternates between two endpoints: neither may take the other's counts.
        assertThat(report).allSatisfy(key -> {
            Map<String, Long> byEndpoint = new TreeMap<>();
            key.gains().forEach((bucket, gain) -> byEndpoint.merge(bucket.endpoint(), gain, Long::sum));
            assertThat(byEndpoint).containsOnly(Map.entry("/orders", (long) perThread),
                    Map.entry("/orders/{id}", (long) perThread));
        });
    }

    @Test
    void manyKeysAtManyEndpointsAreCountedExactlyWhileTheTableGrowsUnderConcurrentDecisions() throws Exception {
        int keys = 3_000;
        String[] uris = {"/orders/1", "/orders", "/customers/7/invoices"};
        List<String> keyIds = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
            keyIds.add(UUID.randomUUID().toString());
        }
        keyIds.add("00000000-0000-0000-0000-000000000000");
        UsageCounter shared = new UsageCounter(Clock.systemUTC());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            done.add(pool.submit(() -> {
                for (String keyId : keyIds) {
                    for (String uri : uris) {
                        // A new string each time, as decoded from a replica entry.
                        shared.record(new String(keyId.toCharArray()), uri, "valid");
                    }
                }
            }));
        }
        for (Future<?> thread : done) {
            thread.get();
        }
        pool.shutdown();

        List<UsageCounter.KeyReport> report = shared.report(keys + 1);
        assertThat(report).hasSize(keys + 1);
        assertThat(report).allSatisfy(key -> {
            assertThat(keyIds).contains(key.keyId());
            Map<String, Long> byEndpoint = new TreeMap<>();
            key.gains().forEach((bucket, gain) -> byEndpoint.merge(bucket.endpoint(), gain, Long::sum));
            assertThat(byEndpoint).containsOnly(Map.entry("/orders/{id}", 4L), Map.entry("/orders", 4L),
                    Map.entry("/customers/{id}/invoices", 4L));
        });
    }

    @Test
    void keyIdsThatAreNotCanonicalUuidsAreCountedApartFromTheUuidTheyResembleAndOutsideTheTable() {
        String canonical = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
        List<String> lookalikes = List.of(canonical.toUpperCase(), canonical.replace('-', '_'),
                "7d3f8a2e0-b1c-4d5e-8f90-123456789abc", canonical.replace('a', 'g'), canonical.replace('a', '+'),
                canonical.replace('a', '\u00e1'), canonical.replace('a', '\u0661'));
        counter.record(canonical, "/orders", "valid");
        for (String lookalike : lookalikes) {
            counter.record(lookalike, "/orders", "valid");
            counter.record(lookalike, "/orders", "valid");
        }

        Map<String, Long> byKey = new TreeMap<>();
        counter.report(100).forEach(key -> byKey.put(key.keyId(), total(List.of(key))));
        assertThat(byKey).hasSize(1 + lookalikes.size()).containsEntry(canonical, 1L);
        lookalikes.forEach(lookalike -> assertThat(byKey).containsEntry(lookalike, 2L));
        assertThat(counter.tabledCounters()).isEqualTo(1);
    }

    @Test
    void decisionsOfCanonicalKeysAtRememberedEndpointsFindTheirCountersInTheTable() {
        for (int i = 0; i < 50; i++) {
            String keyId = UUID.randomUUID().toString();
            counter.record(keyId, "/orders/" + i, "valid");
            counter.record(keyId, "/customers", "valid");
            counter.record(keyId, null, "valid");
        }
        counter.record(null, "/orders", "not_found");

        assertThat(counter.tabledCounters()).isEqualTo(150);
    }

    @Test
    void lastUsedIsTheLatestDecisionOfTheKeyAtAnyEndpoint() {
        String keyId = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
        counter.record(keyId, "/a", "valid");
        time.set(T0.plusSeconds(5));
        counter.record(keyId, "/b", "valid");
        time.set(T0.plusSeconds(7));
        counter.record(keyId, "/a", "insufficient_scope");

        assertThat(counter.report(100)).singleElement()
                .satisfies(key -> assertThat(key.lastUsedAt()).isEqualTo(T0.plusSeconds(7)));
    }

    @Test
    void urisBeyondThoseRememberedAreStillCountedByTheirEndpoint() {
        int uris = 10_050;
        for (int i = 0; i < uris; i++) {
            String path = "/" + Integer.toString(i, 26).chars().mapToObj(c -> String.valueOf((char) ('a' + Character
                    .digit(c, 26)))).reduce("", String::concat);
            counter.record(String.format("00000000-0000-0000-0000-%012d", i), path, "valid");
            counter.record(String.format("00000000-0000-0000-0000-%012d", i), path + "?page=2", "valid");
        }

        List<UsageCounter.KeyReport> report = counter.report(uris);
        assertThat(report).hasSize(uris);
        assertThat(report).allSatisfy(key -> assertThat(key.gains().values()).containsExactly(2L));
    }

    @Test
    void urisOfAnotherAlphabetOrTooLongToCopyAreCountedByTheirOwnEndpoint() {
        String keyId = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
        counter.record(keyId, "/orders?page=2", "valid");
        // The low byte of U+013F is '?': read by low bytes alone, this would be /orders with a query.
        counter.record(keyId, "/orders\u013fx", "valid");
        String longPath = "/orders/" + "x".repeat(Latin1Text.CAPACITY);
        counter.record(keyId, longPath, "valid");
        counter.record(keyId, longPath + "?page=2", "valid");
        counter.record(keyId, "/orders", "valid");

        Map<String, Long> byEndpoint = new TreeMap<>();
        counter.report(100).forEach(key -> key.gains().forEach((bucket, gain) ->
                byEndpoint.merge(bucket.endpoint(), gain, Long::sum)));
        // Past ASCII, the segment is folded: its own endpoint all the same, not /orders.
        assertThat(byEndpoint).containsOnly(Map.entry("/orders", 2L), Map.entry("/{id}", 1L),
                Map.entry(UsageCounter.normalise(longPath), 2L));
    }
}
