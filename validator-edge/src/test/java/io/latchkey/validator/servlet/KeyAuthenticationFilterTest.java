package io.latchkey.validator.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.validator.Decision;
import io.latchkey.validator.RateLimiter;
import io.latchkey.validator.UsageRecorder;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import io.latchkey.validator.hazelcast.TestCluster;
import io.latchkey.validator.ratelimit.LocalRateLimiter;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.CrossOrigin;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring service protected by the dependency and two properties: {@code latchkey.filter.url-patterns} and
 * {@code latchkey.filter.resource}, fed by a real Hazelcast member acting as the query side's writer.
 */
@SpringBootTest(classes = KeyAuthenticationFilterTest.OrdersService.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"latchkey.filter.url-patterns=/orders/*", "latchkey.filter.resource=orders",
                "management.endpoint.health.show-components=always"})
class KeyAuthenticationFilterTest {

    private static final TestCluster cluster = new TestCluster();
    private static final HazelcastInstance writerMember = cluster.startMember();
    private static final KeyFormat FORMAT = KeyFormat.forEnvironment("live");
    private static final HttpClient http = HttpClient.newHttpClient();

    @SpringBootApplication
    @RestController
    static class OrdersService {

        @CrossOrigin("https://shop.example")
        @GetMapping("/orders/list")
        String list(HttpServletRequest request) {
            return "orders for " + ((Decision) request.getAttribute(KeyAuthenticationFilter.DECISION)).developerId();
        }

        @PostMapping("/orders/new")
        String create() {
            return "created";
        }

        @GetMapping("/public/ping")
        String ping() {
            return "pong";
        }

        /** Limits the keys whose entries carry a limit; the others pass unlimited. */
        @Bean
        RateLimiter rateLimiter() {
            return LocalRateLimiter.create();
        }

        /** What the filter counts as usage, in the order it answered: keyId, outcome, request URI. */
        @Bean
        UsageRecorder usageRecorder() {
            return (keyId, outcome, requestUri) -> recorded.add(Arrays.asList(keyId, outcome, requestUri));
        }
    }

    private static final List<List<String>> recorded = new CopyOnWriteArrayList<>();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void cluster(DynamicPropertyRegistry registry) {
        cluster.joinFromSpring(registry);
    }

    @BeforeAll
    static void publish() {
        cluster.keepCaughtUp(ReplicaWriter.of(writerMember));
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Autowired
    HazelcastInstance serviceMember;

    private String issue(List<String> scopes, KeyStatus status) throws InterruptedException {
        return issue(scopes, status, null);
    }

    private String issue(List<String> scopes, KeyStatus status, RateLimit limit) throws InterruptedException {
        String key = FORMAT.generate();
        TestCluster.writeAndAwait(ReplicaWriter.of(writerMember), serviceMember, key,
                new ActiveKeyEntry(UUID.randomUUID().toString(), "dev-42", scopes, null, null, status, 0, limit));
        return key;
    }

    @Test
    void everyAnswerOfTheFilterIsCountedAsUsageAsTheEdgeCountsIt() throws Exception {
        String keyId = UUID.randomUUID().toString();
        String reader = FORMAT.generate();
        TestCluster.writeAndAwait(ReplicaWriter.of(writerMember), serviceMember, reader,
                new ActiveKeyEntry(keyId, "dev-42", List.of("orders:read"), null, null, KeyStatus.ACTIVE, 0, null));
        recorded.clear();

        assertThat(call("GET", "/orders/list", reader).statusCode()).isEqualTo(200);
        assertThat(call("POST", "/orders/new", reader).statusCode()).isEqualTo(403);
        assertThat(call("GET", "/orders/list", FORMAT.generate()).statusCode()).isEqualTo(401);
        assertThat(call("GET", "/orders/" + reader, reader).statusCode()).isEqualTo(400);
        assertThat(call("GET", "/public/ping", null).statusCode()).isEqualTo(200);

        // call() asks again after a 503 (the replica a moment behind), which is an answer counted too.
        assertThat(recorded).filteredOn(record -> !record.get(1).equals("unavailable")).containsExactly(
                Arrays.asList(keyId, "valid", "/orders/list"),
                Arrays.asList(keyId, "insufficient_scope", "/orders/new"),
                Arrays.asList(null, "not_found", "/orders/list"),
                Arrays.asList(null, "key_in_path", null));
    }

    @Test
    void anAdmittedRequestCarriesTheRateLimitFieldsAndTheOneOverTheLimitIs429() throws Exception {
        String key = issue(List.of("orders:read"), KeyStatus.ACTIVE, new RateLimit(2, 60, null));

        HttpResponse<String> first = call("GET", "/orders/list", key);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("RateLimit-Policy")).hasValue("\"key\";q=2;w=60");
        assertThat(first.headers().firstValue("RateLimit")).get(InstanceOfAssertFactories.STRING)
                .startsWith("\"key\";r=1;t=");
        assertThat(call("GET", "/orders/list", key).headers().firstValue("RateLimit")).get(
                InstanceOfAssertFactories.STRING).startsWith("\"key\";r=0;t=");

        HttpResponse<String> over = call("GET", "/orders/list", key);
        assertThat(over.statusCode()).isEqualTo(429);
        assertThat(over.headers().firstValue("Retry-After")).isPresent();
        assertThat(over.headers().firstValue("RateLimit-Policy")).hasValue("\"key\";q=2;w=60");
    }

    private HttpResponse<String> call(String method, String path, String key) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        for (int i = 0; i < 100 && response.statusCode() == 503; i++) {
            Thread.sleep(50);
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
        return response;
    }

    @Test
    void aKeyWithTheScopeReachesTheHandlerWithItsDecision() throws Exception {
        String key = issue(List.of("orders:read"), KeyStatus.ACTIVE);
        HttpResponse<String> response = call("GET", "/orders/list", key);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("orders for dev-42");
    }

    @Test
    void writingNeedsTheWriteScopeOnTheResource() throws Exception {
        assertThat(call("POST", "/orders/new", issue(List.of("orders:read"), KeyStatus.ACTIVE)).statusCode())
                .isEqualTo(403);
        assertThat(call("POST", "/orders/new", issue(List.of("invoices:write"), KeyStatus.ACTIVE)).statusCode())
                .isEqualTo(403);
        assertThat(call("POST", "/orders/new", issue(List.of("write"), KeyStatus.ACTIVE)).statusCode()).isEqualTo(200);
    }

    @Test
    void revokedUnknownAndMissingKeysGetTheSame401() throws Exception {
        List<HttpResponse<String>> responses = List.of(
                call("GET", "/orders/list", issue(List.of("admin"), KeyStatus.REVOKED)),
                call("GET", "/orders/list", FORMAT.generate()),
                call("GET", "/orders/list", null));
        assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(401));
        assertThat(responses.stream().map(HttpResponse::body).distinct()).hasSize(1);
    }

    @Test
    void aKeyInTheUrlIsRefusedBeforeTheHandler() throws Exception {
        String key = issue(List.of("orders:read"), KeyStatus.ACTIVE);
        HttpResponse<String> inQuery = call("GET", "/orders/list?api_key=" + key, key);
        HttpResponse<String> inPath = call("GET", "/orders/" + key, key);

        assertThat(inQuery.statusCode()).isEqualTo(400);
        assertThat(inQuery.body()).contains("key-in-query").doesNotContain(key);
        assertThat(inPath.statusCode()).isEqualTo(400);
        assertThat(inPath.body()).contains("key-in-path").doesNotContain(key);
    }

    @Test
    void aCorsPreflightReachesTheApplicationsCorsHandlingWithoutAKeyAndOtherOptionsNeedOne() throws Exception {
        HttpResponse<String> preflight = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/orders/list"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://shop.example")
                .header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "authorization").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.statusCode()).isEqualTo(200);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://shop.example");
        assertThat(preflight.body()).as("answered by Spring's CORS handling, not the handler").isEmpty();

        assertThat(call("OPTIONS", "/orders/list", null).statusCode()).isEqualTo(401);
    }

    @Test
    void pathsOutsideThePatternsNeedNoKey() throws Exception {
        assertThat(call("GET", "/public/ping", null).statusCode()).isEqualTo(200);
    }

    @Test
    void theServiceIsHealthyWhileItsReplicaIsCurrent() throws Exception {
        HttpResponse<String> health = call("GET", "/actuator/health", null);
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        assertThat(health.body()).contains("\"latchkey\":{\"status\":\"UP\"");
    }
}
