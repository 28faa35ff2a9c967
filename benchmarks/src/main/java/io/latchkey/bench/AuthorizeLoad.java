package io.latchkey.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Recorder;

/**
 * {@code GET /authorize} over loopback HTTP at fixed request rates, open loop: each request has an intended start time
 * on a fixed schedule and its latency is measured from that time, so a stalled server is charged for the requests it
 * delayed (no coordinated omission). Runs against a system started by {@code bin/latchkey up}: it creates a developer
 * and a key with the operator token, waits for the key at the edge, then loads the edge.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.latchkey.bench.AuthorizeLoad data/operator-token 1000,2500,5000 20</pre>
 */
public final class AuthorizeLoad {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        String token = Files.readString(Path.of(args.length > 0 ? args[0] : "data/operator-token")).strip();
        String[] rates = (args.length > 1 ? args[1] : "1000,2500,5000").split(",");
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        String key = createKey(http, token);
        HttpRequest authorize = HttpRequest.newBuilder(URI.create("http://127.0.0.1:8080/authorize"))
                .header("Authorization", "Bearer " + key).header("X-Required-Scope", "read")
                .timeout(Duration.ofSeconds(5)).GET().build();
        while (http.send(authorize, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
            Thread.sleep(10);
        }
        run(http, authorize, 1000, 10, null);
        System.out.println("| requests/s | sent | failed or non-200 | p50 | p99 | p99.9 | max |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (String rate : rates) {
            run(http, authorize, Integer.parseInt(rate.strip()), seconds, System.out);
        }
    }

    private static void run(HttpClient http, HttpRequest request, int rate, int seconds, java.io.PrintStream out)
            throws Exception {
        Recorder recorder = new Recorder(3);
        AtomicLong failures = new AtomicLong();
        long interval = 1_000_000_000L / rate;
        long total = (long) rate * seconds;
        long start = System.nanoTime() + 10_000_000L;
        CompletableFuture<?>[] inFlight = new CompletableFuture<?>[(int) total];
        for (long i = 0; i < total; i++) {
            long intended = start + i * interval;
            long wait = intended - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            inFlight[(int) i] = http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .whenComplete((response, error) -> {
                        recorder.recordValue(Math.max(0, (System.nanoTime() - intended) / 1_000));
                        if (error != null || response.statusCode() != 200) {
                            failures.incrementAndGet();
                        }
                    });
        }
        CompletableFuture.allOf(inFlight).exceptionally(e -> null).join();
        var histogram = recorder.getIntervalHistogram();
        if (out != null) {
            out.printf("| %,d | %,d | %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms |%n", rate, total, failures.get(),
                    histogram.getValueAtPercentile(50) / 1000.0, histogram.getValueAtPercentile(99) / 1000.0,
                    histogram.getValueAtPercentile(99.9) / 1000.0, histogram.getMaxValue() / 1000.0);
        }
    }

    private static String createKey(HttpClient http, String token) throws Exception {
        JsonNode developer = post(http, token, "/v1/developers", "{\"name\":\"load\",\"email\":\"load@example.com\"}");
        JsonNode key = post(http, token, "/v1/developers/" + developer.get("developerId").asText() + "/keys",
                "{\"name\":\"load\",\"scopes\":[\"read\"]}");
        return key.get("key").asText();
    }

    private static JsonNode post(HttpClient http, String token, String path, String body) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:8081" + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IllegalStateException(path + " answered " + response.statusCode());
        }
        return JSON.readTree(response.body());
    }
}
