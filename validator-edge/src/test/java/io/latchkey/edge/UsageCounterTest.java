package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UsageCounterTest {

    private static final Instant T0 = Instant.parse("2030-01-01T10:15:20Z");
    private final AtomicReference<Instant> time = new AtomicReference<>(T0);
    private final UsageCounter counter = new UsageCounter(new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return time.get();
        }
    });

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
            "//a///b|/a/b",
            "/|/",
            "/#top|/",
            "orders|*",
            "''|*"})
    void endpointsAreNormalisedSoThatIdsDoNotMakeNewOnes(String uri, String endpoint) {
        assertThat(UsageCounter.normalise(uri)).isEqualTo(endpoint);
    }

    @Test
    void endpointsAreCappedInLengthAndControlCharactersMakeNone() {
        assertThat(UsageCounter.normalise("/" + "a".repeat(500))).hasSize(UsageCounter.MAX_ENDPOINT_LENGTH);
        assertThat(UsageCounter.normalise("/a\u0000b")).isEqualTo(UsageCounter.NO_ENDPOINT);
        assertThat(UsageCounter.normalise(null)).isEqualTo(UsageCounter.NO_ENDPOINT);
    }

    @Test
    void decisionsAreCountedByKeyMinuteEndpointAndOutcome() {
        counter.record("k1", "/orders", "valid");
        counter.record("k1", "/orders", "valid");
        counter.record("k1", "/orders", "insufficient_scope");
        counter.record(null, "/orders", "not_found");
        time.set(T0.plusSeconds(60));
        counter.record("k1", "/orders", "valid");

        List<UsageCounter.KeyReport> report = counter.report(100);

        Map<String, UsageCounter.KeyReport> byKey = Map.of(report.get(0).keyId(), report.get(0),
                report.get(1).keyId(), report.get(1));
        long minute = T0.getEpochSecond() / 60;
        assertThat(byKey.get("k1").gains()).containsOnly(
                Map.entry(new UsageCounter.Bucket("k1", minute, "/orders", "valid"), 2L),
                Map.entry(new UsageCounter.Bucket("k1", minute, "/orders", "insufficient_scope"), 1L),
                Map.entry(new UsageCounter.Bucket("k1", minute + 1, "/orders", "valid"), 1L));
        assertThat(byKey.get("k1").lastUsedAt()).isEqualTo(T0.plusSeconds(60));
        assertThat(byKey.get(UsageCounter.UNKNOWN_KEY).gains().values()).containsExactly(1L);
    }

    @Test
    void anUnacknowledgedReportIsSentAgainWithWhatCameSinceAndAnAcknowledgedOneNever() {
        for (int i = 0; i < 5; i++) {
            counter.record("k1", "/a", "valid");
        }
        List<UsageCounter.KeyReport> failed = counter.report(100);
        assertThat(total(failed)).isEqualTo(5);
        counter.record("k1", "/a", "valid");

        List<UsageCounter.KeyReport> retried = counter.report(100);
        assertThat(total(retried)).isEqualTo(6);
        counter.record("k1", "/a", "valid");
        counter.acknowledge(retried);

        assertThat(total(counter.report(100))).isEqualTo(1);
    }

    @Test
    void eachKeyKeepsABoundedNumberOfEndpoints() {
        for (int i = 0; i < UsageCounter.MAX_ENDPOINTS + 10; i++) {
            counter.record("k1", "/path-" + (char) ('a' + i % 26) + (i / 26), "valid");
        }
        List<UsageCounter.KeyReport> report = counter.report(100);
        assertThat(report.get(0).gains()).hasSize(UsageCounter.MAX_ENDPOINTS + 1);
        assertThat(report.get(0).gains().get(new UsageCounter.Bucket("k1", T0.getEpochSecond() / 60,
                UsageCounter.OTHER_ENDPOINT, "valid"))).isEqualTo(10);
    }

    @Test
    void aReportHoldsAtMostTheKeysAskedForAndTheRestWait() {
        for (int i = 0; i < 5; i++) {
            counter.record("k" + i, "/", "valid");
        }
        List<UsageCounter.KeyReport> first = counter.report(3);
        assertThat(first).hasSize(3);
        counter.acknowledge(first);
        assertThat(counter.report(3)).hasSize(2);
    }

    @Test
    void reportedCountersOfPastMinutesAreDropped() {
        counter.record("k1", "/", "valid");
        counter.acknowledge(counter.report(100));
        assertThat(counter.size()).isEqualTo(1);
        time.set(T0.plusSeconds(180));
        counter.acknowledge(counter.report(100));
        assertThat(counter.size()).isZero();
        counter.record("k1", "/", "valid");
        assertThat(total(counter.report(100))).isEqualTo(1);
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
                    shared.record(keyId, i % 2 == 0 ? "/orders" : "/orders/" + i, i % 10 == 0 ? "rate_limited" : "valid");
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
}
