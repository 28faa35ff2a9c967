package io.latchkey.e2e;

import static io.latchkey.e2e.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.e2e.Api.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A load run, not a test: how many keys' usage a second the command side records and the query side's usage model
 * takes in, over real processes. Three simulated edges each report every key once a second, as edges whose traffic
 * touches all of them would, for a number of rounds; the run then waits until the usage model holds every count and
 * checks each key's total exactly. Runs only with {@code -Dlatchkey.benchmark=true}; {@code latchkey.usageKeys} and
 * {@code latchkey.usageRounds} size it; figures go to {@code latchkey.benchmarkOut}.
 */
@EnabledIfSystemProperty(named = "latchkey.benchmark", matches = "true")
class UsageIngestBenchmarkIT {

    private static final int KEYS = Integer.getInteger("latchkey.usageKeys", 300);
    private static final int ROUNDS = Integer.getInteger("latchkey.usageRounds", 20);
    private static final String[] EDGES = {"edge-a", "edge-b", "edge-c"};
    /** Longer than an edge waits (30 s), so that a slow report is measured rather than cut short. */
    private static final Duration REPORT_TIMEOUT = Duration.ofMinutes(5);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void measureUsageIngest() throws Exception {
        Path workDir = Path.of(System.getProperty("latchkey.workDir", "target/e2e"))
                .resolve("ingest-" + System.nanoTime());
        try (LatchkeySystem system = new LatchkeySystem(workDir)) {
            system.start();
            Api api = new Api(system);
            String developerId = api.command("POST", "/v1/developers",
                    map("name", "ingest", "email", "ingest@example.com")).body().get("developerId").asText();
            List<String> keyIds = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                Response created = api.command("POST", "/v1/developers/" + developerId + "/keys",
                        map("name", "k" + i, "scopes", List.of("read")));
                assertThat(created.status()).isEqualTo(201);
                keyIds.add(created.body().get("keyId").asText());
            }
            keyIds.sort(null);

            double[][] latencies = new double[EDGES.length][ROUNDS];
            AtomicLong lastAcknowledged = new AtomicLong();
            Instant began = Instant.now();
            ExecutorService edges = Executors.newFixedThreadPool(EDGES.length);
            long start = System.nanoTime();
            try {
                List<Future<?>> sent = new ArrayList<>();
                for (int e = 0; e < EDGES.length; e++) {
                    int edge = e;
                    sent.add(edges.submit(() -> {
                        for (int round = 0; round < ROUNDS; round++) {
                            // A report a second, as an edge's flush interval; a late one goes at once.
                            long due = start + TimeUnit.SECONDS.toNanos(round);
                            long wait = due - System.nanoTime();
                            if (wait > 0) {
                                TimeUnit.NANOSECONDS.sleep(wait);
                            }
                            long t0 = System.nanoTime();
                            HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(
                                            URI.create(system.commandUrl() + "/v1/usage"))
                                    .timeout(REPORT_TIMEOUT)
                                    .header("Authorization", "Bearer " + LatchkeySystem.OPERATOR_TOKEN)
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(Api.JSON.writeValueAsString(
                                            report(EDGES[edge], round + 1, keyIds))))
                                    .build(), HttpResponse.BodyHandlers.ofString());
                            long t1 = System.nanoTime();
                            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                            latencies[edge][round] = (t1 - t0) / 1e6;
                            lastAcknowledged.accumulateAndGet(t1, Math::max);
                        }
                        return null;
                    }));
                }
                for (Future<?> future : sent) {
                    future.get();
                }
            } finally {
                edges.shutdownNow();
            }
            double sendingSeconds = (lastAcknowledged.get() - start) / 1e9;

            // The model (one segment) applies events in the order they were appended: once the key last in the last
            // report appended holds every count, so do all the others, which are then checked one by one.
            long expected = (long) EDGES.length * ROUNDS;
            String last = keyIds.get(keyIds.size() - 1);
            String range = "?from=" + began.minusSeconds(60) + "&to=" + Instant.now().plusSeconds(60);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (validTotal(api, last, range) < expected) {
                assertThat(System.nanoTime()).as("usage model caught up within 10 min").isLessThan(deadline);
                TimeUnit.MILLISECONDS.sleep(20);
            }
            double drainSeconds = (System.nanoTime() - lastAcknowledged.get()) / 1e9;
            for (String keyId : keyIds) {
                assertThat(validTotal(api, keyId, range)).as(keyId).isEqualTo(expected);
            }

            double[] all = Arrays.stream(latencies).flatMapToDouble(Arrays::stream).toArray();
            long recorded = (long) KEYS * EDGES.length * ROUNDS;
            String result = String.format("""
                    | usage ingest (%d keys, %d edges reporting every key once a second, %d rounds) | value |
                    |---|---|
                    | key reports sent (one event each) | %d |
                    | sending took (until the last report acknowledged) | %.1f s (%.0f key reports/s) |
                    | report call p50 / p99 / max | %.0f / %.0f / %.0f ms |
                    | usage model complete after the last acknowledgement | %.1f s |
                    | key reports/s through to the usage model | %.0f |
                    """, KEYS, EDGES.length, ROUNDS, recorded, sendingSeconds, recorded / sendingSeconds,
                    LoadRuns.percentile(all, 50), LoadRuns.percentile(all, 99), LoadRuns.percentile(all, 100),
                    drainSeconds, recorded / (sendingSeconds + drainSeconds));
            System.out.println(result);
            String out = System.getProperty("latchkey.benchmarkOut");
            if (out != null) {
                LoadRuns.write(Path.of(out), result);
            }
        }
    }

    /** One edge's report: one admitted request for every key, in the current minute. */
    private static Map<String, Object> report(String edgeId, long batchSequence, List<String> keyIds) {
        Instant now = Instant.now();
        Instant minute = now.truncatedTo(ChronoUnit.MINUTES);
        List<Map<String, Object>> keys = new ArrayList<>(keyIds.size());
        for (String keyId : keyIds) {
            keys.add(map("keyId", keyId, "lastUsedAt", now.toString(), "counts",
                    List.of(map("minute", minute.toString(), "endpoint", "/orders", "outcome", "valid", "count", 1))));
        }
        return map("edgeId", edgeId, "batchSequence", batchSequence, "keys", keys);
    }

    private static long validTotal(Api api, String keyId, String range) {
        Response usage = api.query("/v1/keys/" + keyId + "/usage" + range);
        assertThat(usage.status()).as(usage.raw()).isEqualTo(200);
        return usage.body().path("totals").path("valid").asLong(0);
    }

}
