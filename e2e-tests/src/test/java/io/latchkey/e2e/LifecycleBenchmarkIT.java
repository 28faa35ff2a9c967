package io.latchkey.e2e;

import static io.latchkey.e2e.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.e2e.Api.Response;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A load run, not a test: start-up time, create and revoke latency, a new key's time to work at every one of three
 * edge processes, and revocation-to-edge time at each of them, over real processes.
 * Runs only with {@code -Dlatchkey.benchmark=true}; writes its figures to {@code latchkey.benchmarkOut} and every
 * revocation's times beside them (the same name ending in {@code .csv}).
 */
@EnabledIfSystemProperty(named = "latchkey.benchmark", matches = "true")
class LifecycleBenchmarkIT {

    private static final int WARM_UP = 50;
    private static final int CALLS = Integer.getInteger("latchkey.benchmarkCalls", 300);
    private static final long POLL_PAUSE_NANOS = 1_000_000;

    @Test
    void measureLifecycleLatencies() throws Exception {
        Path workDir = Path.of(System.getProperty("latchkey.workDir", "target/e2e")).resolve("bench-" + System.nanoTime());
        try (LatchkeySystem system = new LatchkeySystem(workDir)) {
            long start = System.nanoTime();
            system.start();
            double startupMs = (System.nanoTime() - start) / 1e6;
            Api api = new Api(system);
            String developerId = api.command("POST", "/v1/developers",
                    map("name", "bench", "email", "bench@example.com")).body().get("developerId").asText();

            List<String[]> keys = new ArrayList<>();
            double[] create = new double[CALLS];
            for (int i = -WARM_UP; i < CALLS; i++) {
                long t0 = System.nanoTime();
                Response created = api.command("POST", "/v1/developers/" + developerId + "/keys",
                        map("name", "k" + i, "scopes", List.of("read")));
                long t1 = System.nanoTime();
                assertThat(created.status()).isEqualTo(201);
                if (i >= 0) {
                    create[i] = (t1 - t0) / 1e6;
                    keys.add(new String[] {created.body().get("keyId").asText(), created.body().get("key").asText()});
                }
            }
            int[] edges = {system.edgePort, system.startEdge("edge-2"), system.startEdge("edge-3")};
            for (String[] key : keys) {
                for (int edge : edges) {
                    awaitEdge(api, edge, key[1], 200);
                }
            }

            double[] createToEveryEdge = new double[CALLS];
            double[] createAckToEveryEdge = new double[CALLS];
            double[] revoke = new double[CALLS];
            double[][] toEdge = new double[edges.length][CALLS];
            double[] toEveryEdge = new double[CALLS];
            double[] ackToEveryEdge = new double[CALLS];
            ExecutorService pollers = Executors.newFixedThreadPool(edges.length);
            try {
                // A new key works at an edge once the query side has read its event and written it into the map.
                for (int i = 0; i < CALLS; i++) {
                    long t0 = System.nanoTime();
                    Response created = api.command("POST", "/v1/developers/" + developerId + "/keys",
                            map("name", "visible-" + i, "scopes", List.of("read")));
                    long t1 = System.nanoTime();
                    assertThat(created.status()).isEqualTo(201);
                    String plaintext = created.body().get("key").asText();
                    List<Future<Long>> seen = new ArrayList<>();
                    for (int edge : edges) {
                        seen.add(pollers.submit(() -> awaitEdge(api, edge, plaintext, 200)));
                    }
                    long last = 0;
                    for (Future<Long> at : seen) {
                        last = Math.max(last, at.get());
                    }
                    createToEveryEdge[i] = (last - t0) / 1e6;
                    createAckToEveryEdge[i] = (last - t1) / 1e6;
                }
                for (int i = 0; i < CALLS; i++) {
                    String[] key = keys.get(i);
                    List<Future<Long>> seen = new ArrayList<>();
                    for (int edge : edges) {
                        seen.add(pollers.submit(() -> awaitEdge(api, edge, key[1], 401)));
                    }
                    long t0 = System.nanoTime();
                    assertThat(api.command("POST", "/v1/keys/" + key[0] + "/revoke", map()).status()).isEqualTo(200);
                    long t1 = System.nanoTime();
                    long last = 0;
                    for (int e = 0; e < edges.length; e++) {
                        long at = seen.get(e).get();
                        toEdge[e][i] = (at - t0) / 1e6;
                        last = Math.max(last, at);
                    }
                    revoke[i] = (t1 - t0) / 1e6;
                    toEveryEdge[i] = (last - t0) / 1e6;
                    ackToEveryEdge[i] = Math.max(0, last - t1) / 1e6;
                }
            } finally {
                pollers.shutdownNow();
            }

            StringBuilder perEdge = new StringBuilder();
            for (int e = 0; e < edges.length; e++) {
                perEdge.append(String.format("| revoke sent → edge %d answers 401 | %s | %s | %s |%n", e + 1,
                        p(toEdge[e], 50), p(toEdge[e], 99), p(toEdge[e], 100)));
            }
            String report = String.format("""
                    | measurement (%d calls, sequential, after %d warm-up creates; 3 edge processes) | p50 | p99 | max |
                    |---|---|---|---|
                    | start-up: three services healthy, edge replica ready | %.0f ms | | |
                    | create key (HTTP round trip, event durable on disk) | %s | %s | %s |
                    | create sent → every edge answers 200 | %s | %s | %s |
                    | create acknowledged → every edge answers 200 | %s | %s | %s |
                    | revoke key (HTTP round trip, event durable on disk) | %s | %s | %s |
                    %s| revoke sent → every edge answers 401 | %s | %s | %s |
                    | revoke acknowledged → every edge answers 401 | %s | %s | %s |
                    """, CALLS, WARM_UP, startupMs,
                    p(create, 50), p(create, 99), p(create, 100),
                    p(createToEveryEdge, 50), p(createToEveryEdge, 99), p(createToEveryEdge, 100),
                    p(createAckToEveryEdge, 50), p(createAckToEveryEdge, 99), p(createAckToEveryEdge, 100),
                    p(revoke, 50), p(revoke, 99), p(revoke, 100),
                    perEdge,
                    p(toEveryEdge, 50), p(toEveryEdge, 99), p(toEveryEdge, 100),
                    p(ackToEveryEdge, 50), p(ackToEveryEdge, 99), p(ackToEveryEdge, 100));
            System.out.println(report);
            String out = System.getProperty("latchkey.benchmarkOut");
            if (out != null) {
                LoadRuns.write(Path.of(out), report);
                // Every revocation's times, for the percentile plot (io.latchkey.bench.Plot) beside the table.
                StringBuilder csv = new StringBuilder("revoke_call_ms,sent_to_every_edge_ms,ack_to_every_edge_ms\n");
                for (int i = 0; i < CALLS; i++) {
                    csv.append(String.format(Locale.ROOT, "%.3f,%.3f,%.3f", revoke[i], toEveryEdge[i],
                            ackToEveryEdge[i])).append('\n');
                }
                LoadRuns.write(Path.of(out.replaceFirst("(\\.md)?$", ".csv")), csv.toString());
            }
        }
    }

    /**
     * Polls one edge as fast as it answers and returns when it first gave {@code status}; a change that never
     * arrives fails the run instead of hanging it.
     */
    private static long awaitEdge(Api api, int edgePort, String key, int status) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (api.authorizeAt(edgePort, key, "read").statusCode() != status) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("edge on port " + edgePort + " did not answer " + status + " within 10 s");
            }
            // About a millisecond between polls: three pollers calling back to back would take both cores from the
            // services being measured. Resolution stays about a millisecond.
            LockSupport.parkNanos(POLL_PAUSE_NANOS);
        }
        return System.nanoTime();
    }

    private static String p(double[] values, int percentile) {
        return String.format("%.1f ms", LoadRuns.percentile(values, percentile));
    }
}
