package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import io.latchkey.validator.hazelcast.TestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Set;
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
        properties = {"spring.config.name=edge", "latchkey.replica.max-lag=2s"})
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

    private String issue(List<String> scopes, Instant expiresAt, KeyStatus status) throws InterruptedException {
        String key = FORMAT.generate();
        TestCluster.writeAndAwait(writer, edgeMember, key, new ActiveKeyEntry(
                "9b2f6a1e-0000-4000-8000-000000000001", "dev-7", scopes, expiresAt, null, status, 0, null));
        return key;
    }

    private HttpResponse<String> authorize(String... headers) throws Exception {
        return authorizePath("/authorize", headers);
    }

    private HttpResponse<String> authorizePath(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> health() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void edgeRefusesToAnswerAndReportsOutOfServiceUntilItsReplicaIsComplete() throws Exception {
        String key = issue(List.of("read"), null, KeyStatus.ACTIVE);
        assertThat(authorize("Authorization", "Bearer " + key).statusCode()).isEqualTo(503);
        assertThat(health().statusCode()).isEqualTo(503);
        assertThat(health().body()).contains("OUT_OF_SERVICE");

        cluster.keepCaughtUp(writer);
        for (int i = 0; i < 200 && health().statusCode() != 200; i++) {
            Thread.sleep(25);
        }
        assertThat(health().statusCode()).isEqualTo(200);
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
    void theXApiKeyHeaderWorksToo() throws Exception {
        String key = issue(List.of("read"), null, KeyStatus.ACTIVE);
        assertThat(authorize("X-API-Key", key).statusCode()).isEqualTo(200);
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
}
