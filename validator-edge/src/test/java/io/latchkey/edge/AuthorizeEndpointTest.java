package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import io.latchkey.validator.hazelcast.TestCluster;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The edge service over real HTTP, fed by a real Hazelcast member acting as the query side's writer. */
@SpringBootTest(classes = EdgeApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=edge", "latchkey.replica.max-lag=2s", "latchkey.edge.gateway-port=0"})
@AutoConfigureObservability(tracing = false)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthorizeEndpointTest {

    private static final TestCluster cluster = new TestCluster();
    private static final HazelcastInstance writerMember = cluster.startMember();
    private static final ReplicaWriter writer = ReplicaWriter.of(writerMember);
    private static final KeyFormat FORMAT = KeyFormat.forEnvironment("live");
    private static final HttpClient http = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @Autowired
    GatewayServer gateway;

    @DynamicPropertySource
    static void cluster(DynamicPropertyRegistry registry) {
        cluster.joinFromSpring(registry);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Autowired
    HazelcastInstance edgeMember;

    @Autowired
    MeterRegistry meters;

    private String issue(List<String> scopes, Instant expiresAt, KeyStatus status) throws InterruptedException {
        String key = FORMAT.generate();
        TestCluster.writeAndAwait(writer, edgeMember, key, new ActiveKeyEntry(
                "9b2f6a1e-0000-4000-8000-000000000001", "dev-7", scopes, expiresAt, null, status, 0, null));
        return key;
    }

    private HttpResponse<String> authorize(String... headers) throws Exception {
        return authorizePath("/authorize", headers);
    }

    /** Asks the service's port and the gateway listener, which must answer alike; returns the gateway listener's. */
    private HttpResponse<String> authorizePath(String path, String... headers) throws Exception {
        HttpResponse<String> service = send(port, path, headers);
        HttpResponse<String> fast = send(gateway.port(), path, headers);
        assertThat(fast.statusCode()).as("status on both listeners").isEqualTo(service.statusCode());
        assertThat(fast.body()).as("body on both listeners").isEqualTo(service.body());
        return fast;
    }

    private static HttpResponse<String> send(int port, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> health() throws Exception {
        return health("");
    }

    private HttpResponse<String> health(String group) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health" + group))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void edgeRefusesToAnswerAndReportsOutOfServiceUntilItsReplicaIsComplete() throws Exception {
        String key = issue(List.of("read"), null, KeyStatus.ACTIVE);
        assertThat(authorize("Authorization", "Bearer " + key).statusCode()).isEqualTo(503);
        assertThat(health().statusCode()).isEqualTo(503);
        assertThat(health().body()).contains("OUT_OF_SERVICE");
        assertThat(health("/readiness").statusCode()).as("no load balancer should send it traffic").isEqualTo(503);
        assertThat(health("/liveness").statusCode()).as("nor should a restart policy restart it").isEqualTo(200);

        cluster.keepCaughtUp(writer);
        for (int i = 0; i < 200 && health().statusCode() != 200; i++) {
            Thread.sleep(25);
        }
        assertThat(health().statusCode()).isEqualTo(200);
        assertThat(health("/readiness").statusCode()).isEqualTo(200);
        assertThat(authorize("Authorization", "Bearer " + key).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void validKeyIsAllowedWithItsIdentityHeaders() throws Exception {
        String key = issue(List.of("orders:write", "read"), null, KeyStatus.ACTIVE);
        HttpResponse<String> response = authorize("Authorization", "Bearer " + key, "X-Required-Scope", "orders:read");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Latchkey-Key-Id")).hasValue("9b2f6a1e-0000-4000-8000-000000000001");
        assertThat(response.headers().firstValue("X-Latchkey-Developer-Id")).hasValue("dev-7");
        assertThat(response.headers().firstValue("X-Latchkey-Scopes")).hasValue("orders:write,read");
        assertThat(response.body()).doesNotContain(key);
    }

    @Test
    @Order(2)
    void aSecretInItsRotationGraceIsAllowedWithWhenItStopsWorkingAndTheCurrentOneWithout() throws Exception {
        Instant graceEnds = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MILLIS);
        String replaced = FORMAT.generate();
        TestCluster.writeAndAwait(writer, edgeMember, replaced, new ActiveKeyEntry(
                "9b2f6a1e-0000-4000-8000-000000000002", "dev-7", List.of("read"), null, graceEnds, KeyStatus.ACTIVE,
                0, null));
        String current = issue(List.of("read"), null, KeyStatus.ACTIVE);

        HttpResponse<String> inGrace = authorize("Authorization", "Bearer " + replaced);
        assertThat(inGrace.statusCode()).isEqualTo(200);
        assertThat(inGrace.headers().firstValue("X-Latchkey-Secret-Valid-Until")).hasValue(graceEnds.toString());
        assertThat(inGrace.body()).contains("\"secretValidUntil\":\"" + graceEnds + "\"");

        HttpResponse<String> currentSecret = authorize("Authorization", "Bearer " + current);
        assertThat(currentSecret.statusCode()).isEqualTo(200);
        assertThat(currentSecret.headers().firstValue("X-Latchkey-Secret-Valid-Until")).hasValue("");
        assertThat(currentSecret.body()).doesNotContain("secretValidUntil");
        // The service port (Tomcat) sends the header as the gateway listener does, empty one included.
        assertThat(send(port, "/authorize", "Authorization", "Bearer " + replaced).headers()
                .firstValue("X-Latchkey-Secret-Valid-Until")).hasValue(graceEnds.toString());
        assertThat(send(port, "/authorize", "Authorization", "Bearer " + current).headers()
                .firstValue("X-Latchkey-Secret-Valid-Until")).hasValue("");
    }

    @Test
    @Order(2)
    void theXApiKeyHeaderWorksToo() throws Exception {
        String key = issue(List.of("read"), null, KeyStatus.ACTIVE);
        assertThat(authorize("X-API-Key", key).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void aBlankRequiredScopeAsksForNoneAsAnAbsentOneDoes() throws Exception {
        String key = issue(List.of("orders:read"), null, KeyStatus.ACTIVE);
        assertThat(authorize("Authorization", "Bearer " + key, "X-Required-Scope", " ").statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void missingScopeIsForbidden() throws Exception {
        String key = issue(List.of("read"), null, KeyStatus.ACTIVE);
        HttpResponse<String> response = authorize("Authorization", "Bearer " + key, "X-Required-Scope", "write");
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    @Order(2)
    void unknownRevokedExpiredMalformedAndMissingKeysGetOneIdenticalAnswer() throws Exception {
        String revoked = issue(List.of("read"), null, KeyStatus.REVOKED);
        String expired = issue(List.of("read"), Instant.now().minusSeconds(1), KeyStatus.ACTIVE);
        String unknown = FORMAT.generate();
        String malformed = unknown.substring(0, unknown.length() - 1) + (unknown.endsWith("A") ? "B" : "A");
        List<HttpResponse<String>> responses = List.of(
                authorize("Authorization", "Bearer " + revoked),
                authorize("Authorization", "Bearer " + expired),
                authorize("Authorization", "Bearer " + unknown),
                authorize("Authorization", "Bearer " + malformed),
                authorize());
        assertThat(responses).allSatisfy(r -> {
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"latchkey\"");
        });
        Set<String> bodies = responses.stream().map(HttpResponse::body).collect(Collectors.toSet());
        assertThat(bodies).hasSize(1);
    }

    @Test
    @Order(3)
    void decisionsAndLatencyAreExportedForPrometheusWithoutAnyKeyMaterial() throws Exception {
        String key = issue(List.of("read"), null, KeyStatus.ACTIVE);
        authorize("Authorization", "Bearer " + key, "X-Required-Scope", "read");
        authorize("Authorization", "Bearer " + key, "X-Required-Scope", "admin");
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .containsPattern("latchkey_decisions_total\\{[^}]*source=\"replica\"[^}]*status=\"VALID\"[^}]*} [1-9]")
                .containsPattern("latchkey_decisions_total\\{[^}]*source=\"replica\"[^}]*status=\"INSUFFICIENT_SCOPE\"[^}]*} [1-9]")
                .contains("latchkey_validation_seconds_bucket")
                // Buckets below 100 µs: a histogram starting at a timer's default 1 ms would hold every local decision
                // in its first bucket.
                .containsPattern("latchkey_validation_seconds_bucket\\{[^}]*le=\"[0-9.]+E-[56]\"")
                .containsPattern("latchkey_replica_ready(\\{[^}]*})? 1")
                .containsPattern("latchkey_replica_entries(\\{[^}]*})? [1-9]")
                .containsPattern("latchkey_replica_current(\\{[^}]*})? 1")
                .containsPattern("latchkey_replica_lag_seconds(\\{[^}]*})? [0-9]")
                .doesNotContain(key).doesNotContain("9b2f6a1e").doesNotContain("dev-7");
    }

    @Test
    @Order(2)
    void requestsNoKeyCouldMakeValidAreBadRequests() throws Exception {
        String key = issue(List.of("read"), null, KeyStatus.ACTIVE);
        assertThat(authorizePath("/authorize?api_key=" + key).statusCode()).isEqualTo(400);
        assertThat(authorize("Authorization", "Bearer " + key, "X-API-Key", key).statusCode()).isEqualTo(400);
        assertThat(authorize("Authorization", "Bearer " + key, "X-Required-Scope", "delete").statusCode()).isEqualTo(400);
        assertThat(authorize("Authorization", "Bearer " + key, "X-Original-URI", "/orders/1#" + key).statusCode())
                .as("a key in the client's fragment").isEqualTo(400);
        // Off the routes too: Spring's 404 for an unknown path repeated the path, and with it the key.
        for (String path : List.of("/authorize/" + key, "/nothing/here/" + key, "/nothing?k=" + key)) {
            for (int listener : List.of(port, gateway.port())) {
                HttpResponse<String> refused = send(listener, path);
                assertThat(refused.body()).as(listener + path).doesNotContain(key);
                if (listener == port) {
                    assertThat(refused.statusCode()).isEqualTo(400);
                    assertThat(refused.body()).contains(path.contains("?") ? "key-in-query" : "key-in-path");
                }
            }
        }
        // A key's secret without its prefix, escaped or not, off the routes, where no client's path is checked.
        String secret = key.substring(key.lastIndexOf('_') + 1);
        String escaped = secret.substring(0, 10) + "%" + Integer.toHexString(secret.charAt(10)).toUpperCase()
                + secret.substring(11);
        for (String path : List.of("/v1/keys/" + secret, "/actuator/prometheus/" + escaped)) {
            HttpResponse<String> refused = send(port, path);
            assertThat(refused.statusCode()).as(path).isEqualTo(400);
            assertThat(refused.body()).contains("key-in-path").doesNotContain(secret).doesNotContain(escaped);
        }
    }

    @Test
    @Order(2)
    void whatSpringRefusesOnTheServicePortNeverRepeatsThePath() throws Exception {
        // Credentials no screen can tell from words: a user's own operator token, a generated one's random part.
        for (String segment : List.of("my-own-operator-token-2026", "lkop_" + "ab12".repeat(16), "c0ffee".repeat(10))) {
            for (String path : List.of("/" + segment, "/v1/keys/" + segment, "/actuator/" + segment)) {
                HttpResponse<String> answer = send(port, path);
                assertThat(answer.statusCode()).as(path).isEqualTo(404);
                assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/problem+json");
                assertThat(answer.body()).as(path).contains("not-found").doesNotContain(segment)
                        .doesNotContain("instance");
            }
        }
        assertThat(send(port, "/actuator/health").statusCode()).isNotEqualTo(404);

        // A path that exists, asked with a method or an Accept it does not take: Spring's 405 and 406 repeated it too.
        String token = "my-own-operator-token-2026";
        for (HttpRequest request : List.of(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/" + token))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus;" + token))
                        .DELETE().build(),
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/" + token))
                        .header("Accept", "text/html").build())) {
            HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(request.toString()).isIn(404, 405, 406);
            assertThat(answer.body()).as(request.toString()).doesNotContain(token).doesNotContain("instance")
                    .contains("\"status\":" + answer.statusCode());
        }
    }

    @Test
    @Order(4)
    void edgeStopsAnsweringFromAReplicaThatFallsBehindItsBoundAndRecoversWhenTheWriterIsBack() throws Exception {
        String key = issue(List.of("read"), null, KeyStatus.ACTIVE);
        assertThat(authorize("Authorization", "Bearer " + key).statusCode()).isEqualTo(200);

        cluster.stopConfirming();
        for (int i = 0; i < 400 && health().statusCode() == 200; i++) {
            Thread.sleep(25);
        }
        assertThat(health().statusCode()).isEqualTo(503);
        assertThat(health().body()).contains("OUT_OF_SERVICE").containsPattern("\"lagMillis\":\\d{4,}");
        assertThat(authorize("Authorization", "Bearer " + key).statusCode())
                .as("no fallback configured: a lagging edge refuses rather than trusting a stale replica").isEqualTo(503);

        cluster.keepCaughtUp(writer);
        for (int i = 0; i < 400 && health().statusCode() != 200; i++) {
            Thread.sleep(25);
        }
        assertThat(authorize("Authorization", "Bearer " + key).statusCode()).isEqualTo(200);
    }

    /** Gateways keep connections open and may send the next check before the last answer: order must hold. */
    @Test
    @Order(5)
    void pipelinedChecksOnOneConnectionAreAnsweredInOrderAndTheConnectionStaysOpen() throws Exception {
        String reader = issue(List.of("read"), null, KeyStatus.ACTIVE);
        String check = "GET /authorize HTTP/1.1\r\nHost: edge\r\nAuthorization: Bearer %s\r\nX-Required-Scope: %s\r\n\r\n";
        String pipelined = check.formatted(reader, "read") + check.formatted(FORMAT.generate(), "read")
                + check.formatted(reader, "admin") + "HEAD /authorize HTTP/1.1\r\nHost: edge\r\nX-API-Key: " + reader
                + "\r\n\r\n";
        try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(pipelined.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            assertThat(List.of(readAnswer(in, false), readAnswer(in, false), readAnswer(in, false),
                    readAnswer(in, true))).containsExactly(200, 401, 403, 200);

            socket.getOutputStream().write(check.formatted(reader, "read").getBytes(StandardCharsets.ISO_8859_1));
            assertThat(readAnswer(in, false)).as("the same connection, answered again").isEqualTo(200);
        }
    }

    /**
     * A client that streams checks and never reads an answer must not make the edge hold its answers: the edge stops
     * reading it once answers wait, so the client's sending stalls, long before 100 MB of checks, and the edge has
     * decided only what fits the sockets' buffers.
     */
    @Test
    @Order(6)
    void aClientThatNeverReadsItsAnswersIsReadNoFurther() throws Exception {
        byte[] checks = "GET /authorize HTTP/1.1\r\nHost: e\r\n\r\n".repeat(10_000)
                .getBytes(StandardCharsets.ISO_8859_1);
        long offered = 100L * 1024 * 1024;
        double decidedBefore = decisions();
        AtomicLong sent = new AtomicLong();
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", gateway.port()));
            Thread sender = new Thread(() -> {
                try {
                    while (sent.get() < offered) {
                        socket.getOutputStream().write(checks);
                        sent.addAndGet(checks.length);
                    }
                } catch (IOException closed) {
                    // The test closes the socket under a stalled write.
                }
            }, "never-reading-client");
            sender.start();
            long last = -1;
            long stalledSince = System.nanoTime();
            while (sent.get() < offered && System.nanoTime() - stalledSince < 2_000_000_000L) {
                Thread.sleep(100);
                if (sent.get() != last) {
                    last = sent.get();
                    stalledSince = System.nanoTime();
                }
            }
            assertThat(sent.get()).as("bytes the edge took before it stopped reading").isLessThan(offered);
            assertThat(decisions() - decidedBefore).as("checks decided while no answer was read")
                    .isLessThan(100_000);
            socket.close();
            sender.join(5_000);
        }
        assertThat(authorize("Authorization", "Bearer " + FORMAT.generate()).statusCode())
                .as("other clients are served").isEqualTo(401);
    }

    private double decisions() {
        return meters.find("latchkey.decisions").counters().stream().mapToDouble(Counter::count).sum();
    }

    /** One answer's status, its body (none after HEAD) consumed by its Content-Length. */
    private static int readAnswer(InputStream in, boolean head) throws IOException {
        StringBuilder headers = new StringBuilder();
        while (headers.indexOf("\r\n\r\n") < 0) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed after: " + headers);
            }
            headers.append((char) b);
        }
        Matcher length = Pattern.compile("(?i)content-length: *(\\d+)").matcher(headers);
        if (!head && length.find()) {
            in.readNBytes(Integer.parseInt(length.group(1)));
        }
        return Integer.parseInt(headers.substring(9, 12));
    }
}
