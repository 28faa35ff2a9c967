package io.latchkey.validator.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.secret.KeyFormat;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import io.latchkey.validator.hazelcast.TestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
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
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The filter of a service whose replica lags past its bound (its clock a day ahead of the writer's): a well-formed key
 * cannot be decided and gets 503, but a missing or malformed one needs no replica and gets 401, as at the edge.
 */
@SpringBootTest(classes = KeyAuthenticationFilterLaggingTest.LaggingService.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"latchkey.filter.url-patterns=/orders/*", "latchkey.replica.max-lag=10s"})
class KeyAuthenticationFilterLaggingTest {

    private static final TestCluster cluster = new TestCluster();
    private static final HttpClient http = HttpClient.newHttpClient();

    @SpringBootApplication
    @RestController
    static class LaggingService {

        @Bean
        Clock dayAhead() {
            return Clock.offset(Clock.systemUTC(), Duration.ofDays(1));
        }

        @GetMapping("/orders/list")
        String list() {
            return "orders";
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    KeyValidator validator;

    @DynamicPropertySource
    static void cluster(DynamicPropertyRegistry registry) {
        cluster.joinFromSpring(registry);
    }

    @BeforeAll
    static void publish() {
        cluster.keepCaughtUp(ReplicaWriter.of(cluster.startMember()));
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private HttpResponse<String> get(String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders/list"));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void missingAndMalformedKeysAreUnauthorizedWhileAWellFormedOneWaitsForTheReplica() throws Exception {
        assertThat(validator.isCurrent()).isFalse();
        HttpResponse<String> missing = get(null);
        HttpResponse<String> malformed = get("Bearer lk_live_not-a-key");
        HttpResponse<String> wellFormed = get("Bearer " + KeyFormat.forEnvironment("live").generate());

        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(malformed.statusCode()).isEqualTo(401);
        assertThat(malformed.body()).isEqualTo(missing.body());
        assertThat(wellFormed.statusCode()).isEqualTo(503);
        assertThat(wellFormed.headers().firstValue("Retry-After")).isPresent();
    }

    /** A load balancer must see that this instance refuses every key, and send the traffic elsewhere. */
    @Test
    void theServiceIsOutOfServiceWhileItsReplicaIsNotCurrent() throws Exception {
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/actuator/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).as(health.body()).isEqualTo(503);
        assertThat(health.body()).contains("OUT_OF_SERVICE");
    }
}
