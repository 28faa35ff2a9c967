package io.latchkey.e2e;

import static io.latchkey.e2e.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.testing.LoopbackPorts;
import io.latchkey.testing.MonthTurn;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rate limits across three real edge processes (exact mode, and three more in local-sync mode), all on a private
 * redis-server that the test stops and starts (never the shared one on 6379); keys and limits are set over the
 * command side's REST API.
 */
class RateLimitIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static Process redis;
    private static int redisPort;
    private static Path workDir;
    private static LatchkeySystem system;
    private static Api api;
    private static int[] edges;
    private static String developerId;

    @BeforeAll
    static void start() throws Exception {
        workDir = Path.of(System.getProperty("latchkey.workDir", "target/e2e")).resolve("ratelimit-" + System.nanoTime());
        redisPort = LoopbackPorts.free();
        startRedis();
        system = new LatchkeySystem(workDir);
        // The mode is edge.yml's default, exact; the local-sync test starts edges that set it.
        // The Redis budget is LatchkeySystem's generous one for every edge.
        system.edgeArgs.addAll(List.of("--latchkey.rate-limit.redis=redis://127.0.0.1:" + redisPort,
                "--latchkey.rate-limit.redis-pause=200ms"));
        api = new Api(system);
        system.start();
        edges = new int[] {system.edgePort, system.startEdge("edge-2"), system.startEdge("edge-3")};
        developerId = api.command("POST", "/v1/developers", map("name", "rl", "email", "rl@example.com"))
                .body().get("developerId").asText();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (system != null) {
            system.stop();
        }
        if (redis != null) {
            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static void startRedis() throws Exception {
        redis = new ProcessBuilder("redis-server", "--bind", "127.0.0.1", "--port", Integer.toString(redisPort),
                "--save", "", "--appendonly", "no")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(
                        Files.createDirectories(workDir).resolve("redis.log").toFile())).start();
        for (int i = 0; i < 500; i++) {
            try (Socket ignored = new Socket("127.0.0.1", redisPort)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(10);
            }
        }
        throw new IllegalStateException("redis-server did not start");
    }

    private record Issued(String keyId, String key) {
    }

    /** A new key (with {@code rateLimit}, or none), once every edge knows it; waiting costs no token (401s take none). */
    private static Issued issue(Map<String, Object> rateLimit) throws Exception {
        return issue(rateLimit, null);
    }

    private static Issued issue(Map<String, Object> rateLimit, Map<String, Object> quota) throws Exception {
        Map<String, Object> body = map("name", "rl", "scopes", List.of("read"));
        if (rateLimit != null) {
            body.put("rateLimit", rateLimit);
        }
        if (quota != null) {
            body.put("quota", quota);
        }
        Api.Response created = api.command("POST", "/v1/developers/" + developerId + "/keys", body);
        assertThat(created.status()).isEqualTo(201);
        Issued issued = new Issued(created.body().get("keyId").asText(), created.body().get("key").asText());
        api.query("/v1/keys/" + issued.keyId() + "/propagation?wait=5000");
        return issued;
    }

    private static int authorize(int port, String key) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/authorize"))
                    .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + key).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Statuses of {@code perThread} requests from each of 6 threads, spread over the three edges. */
    private static Map<Integer, Integer> hammer(String key, int perThread) throws Exception {
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        ExecutorService threads = Executors.newFixedThreadPool(6);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            int edge = edges[t % 3];
            done.add(threads.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    statuses.merge(authorize(edge, key), 1, Integer::sum);
                }
            }));
        }
        for (Future<?> each : done) {
            each.get();
        }
        threads.shutdown();
        return statuses;
    }

    @Test
    void threeEdgesInExactModeAdmitExactlyTheLimit() throws Exception {
        hammer(issue(null).key(), 20);
        long degradedBefore = degradedDecisions();
        Issued issued = issue(map("limit", 100, "periodSeconds", 3600));

        Map<Integer, Integer> statuses = hammer(issued.key(), 40);

        assertThat(degradedDecisions()).isEqualTo(degradedBefore);
        assertThat(statuses).containsOnlyKeys(200, 429);
        assertThat(statuses.get(200)).isEqualTo(100);
        assertThat(statuses.get(429)).isEqualTo(140);
    }

    @Test
    void aChangedKeyLimitAndADeveloperDefaultApplyLiveAtEveryEdge() throws Exception {
        Issued issued = issue(map("limit", 1, "periodSeconds", 3600));
        assertThat(authorize(edges[0], issued.key())).isEqualTo(200);
        for (int edge : edges) {
            assertThat(authorize(edge, issued.key())).isEqualTo(429);
        }
        assertThat(api.command("PUT", "/v1/keys/" + issued.keyId() + "/rate-limit",
                map("limit", 1000, "periodSeconds", 1)).status()).isEqualTo(200);
        for (int edge : edges) {
            awaitStatus(edge, issued.key(), 200);
        }

        Issued unlimited = issue(null);
        Issued probe = issue(null);
        assertThat(api.command("PUT", "/v1/developers/" + developerId + "/rate-limit",
                map("limit", 2, "periodSeconds", 3600)).status()).isEqualTo(200);
        // A probe key's 429 at each edge says the default reached it; then one key's bucket is shared by all three.
        for (int edge : edges) {
            awaitStatus(edge, probe.key(), 429);
        }
        assertThat(List.of(authorize(edges[0], unlimited.key()), authorize(edges[0], unlimited.key()),
                authorize(edges[1], unlimited.key()), authorize(edges[2], unlimited.key())))
                .as("the default's bucket, spent at the first edge").containsExactly(200, 200, 429, 429);
        assertThat(api.command("DELETE", "/v1/developers/" + developerId + "/rate-limit", null).status())
                .isEqualTo(200);
        for (int edge : edges) {
            awaitStatus(edge, unlimited.key(), 200);
        }
    }

    @Test
    void threeEdgesShareOneMonthlyQuotaExactlyAndARaisedQuotaAppliesLive() throws Exception {
        MonthTurn.awaitClearOfMonthEnd();
        Issued issued = issue(null, map("requestsPerMonth", 50));

        Map<Integer, Integer> statuses = hammer(issued.key(), 20);

        assertThat(statuses).containsOnlyKeys(200, 429);
        assertThat(statuses.get(200)).isEqualTo(50);
        HttpResponse<String> exhausted = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + edges[2] + "/authorize"))
                .header("Authorization", "Bearer " + issued.key()).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(exhausted.statusCode()).isEqualTo(429);
        assertThat(exhausted.body()).contains("quota-exceeded");
        assertThat(exhausted.headers().firstValue("Retry-After")).isPresent();
        assertThat(exhausted.headers().firstValue("RateLimit")).hasValueSatisfying(
                value -> assertThat(value).startsWith("\"month\";r=0;t="));

        assertThat(api.command("PUT", "/v1/keys/" + issued.keyId() + "/quota", map("requestsPerMonth", 53)).status())
                .isEqualTo(200);
        awaitStatus(edges[0], issued.key(), 200);
        assertThat(hammer(issued.key(), 5).get(200)).isEqualTo(2);
        assertThat(api.query("/v1/keys/" + issued.keyId()).body().get("quota").get("requestsPerMonth").asLong())
                .isEqualTo(53);
    }

    @Test
    void threeEdgesInLocalSyncModeAdmitWithinFivePercentOfTheLimitAndNeverAbove() throws Exception {
        int[] exactEdges = edges;
        List<String> names = List.of("local-sync-1", "local-sync-2", "local-sync-3");
        try {
            edges = new int[3];
            for (int i = 0; i < 3; i++) {
                edges[i] = system.startEdge(names.get(i), "--latchkey.rate-limit.mode=local-sync");
            }
            hammer(issue(null).key(), 20);
            long degradedBefore = degradedDecisions();
            Issued issued = issue(map("limit", 600, "periodSeconds", 3600));

            Map<Integer, Integer> statuses = hammer(issued.key(), 150);

            assertThat(degradedDecisions()).isEqualTo(degradedBefore);
            assertThat(statuses).containsOnlyKeys(200, 429);
            assertThat(statuses.get(200)).isBetween(570, 600);
        } finally {
            edges = exactEdges;
            for (String name : names) {
                system.stop(name);
            }
        }
    }

    private static void awaitStatus(int edge, String key, int status) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (authorize(edge, key) != status) {
            assertThat(System.nanoTime()).as("edge on " + edge + " answering " + status).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void stoppingAndStartingRedisUnderLoadGivesNo5xxAndNoWrongAuthentication() throws Exception {
        Issued valid = issue(map("limit", 1_000_000, "periodSeconds", 1));
        Issued revoked = issue(map("limit", 1_000_000, "periodSeconds", 1));
        assertThat(api.command("POST", "/v1/keys/" + revoked.keyId() + "/revoke", null).status()).isEqualTo(200);
        api.query("/v1/keys/" + revoked.keyId() + "/propagation?wait=5000");
        // One character changed; it was always set to x, which made the valid key itself one run in 62.
        char changed = valid.key().charAt(10) == 'x' ? 'y' : 'x';
        String unknown = valid.key().substring(0, 10) + changed + valid.key().substring(11);

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger requests = new AtomicInteger();
        Map<String, Integer> wrong = new ConcurrentHashMap<>();
        ExecutorService threads = Executors.newFixedThreadPool(6);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            int edge = edges[t % 3];
            done.add(threads.submit(() -> {
                while (running.get()) {
                    check(wrong, "valid", authorize(edge, valid.key()), 200);
                    check(wrong, "revoked", authorize(edge, revoked.key()), 401);
                    check(wrong, "unknown", authorize(edge, unknown), 401);
                    requests.addAndGet(3);
                }
            }));
        }
        Thread.sleep(1500);
        redis.destroy();
        redis.waitFor(10, TimeUnit.SECONDS);
        Thread.sleep(2000);
        startRedis();
        Thread.sleep(2000);
        running.set(false);
        for (Future<?> each : done) {
            each.get();
        }
        threads.shutdown();

        assertThat(requests.get()).isGreaterThan(300);
        assertThat(wrong).isEmpty();
        assertThat(degradedDecisions()).as("decisions made from local buckets while Redis was down").isPositive();
    }

    private static void check(Map<String, Integer> wrong, String what, int status, int expected) {
        if (status != expected) {
            wrong.merge(what + " got " + status, 1, Integer::sum);
        }
    }

    /** Decisions made from local buckets, summed over the three edges. */
    private static long degradedDecisions() throws Exception {
        long sum = 0;
        for (int edge : edges) {
            sum += degradedDecisions(api.metrics(edge));
        }
        return sum;
    }

    private static long degradedDecisions(String prometheus) {
        return prometheus.lines().filter(line -> line.startsWith("latchkey_ratelimit_degraded_total"))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }
}
