package io.latchkey.command;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latchkey.testing.LoopbackPorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Distributed mode with Axon Server away (nothing listens where it is configured): a command is a 503 to retry, as
 * with the embedded store away, not a 500 with a stack trace in the log for every request, and readiness is DOWN, so
 * that a load balancer sends nothing to a service that can do nothing. Runs here: no Axon Server is needed to be
 * without one.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class AxonServerOutageTest {

    private static final String TOKEN = "test-operator-token-0123456789";
    private static final int STORE_PORT = LoopbackPorts.free();
    private static final int AXON_SERVER_PORT = LoopbackPorts.free();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dataDir;

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("axon.axonserver.enabled", () -> "true");
        registry.add("axon.axonserver.servers", () -> "127.0.0.1:" + AXON_SERVER_PORT);
        registry.add("latchkey.store.port", () -> STORE_PORT);
        registry.add("latchkey.data-dir", () -> dataDir.toString());
        registry.add("latchkey.operator-token", () -> TOKEN);
    }

    @BeforeEach
    void watchTheLog() {
        log.start();
        root.addAppender(log);
    }

    @AfterEach
    void stopWatching() {
        root.detachAppender(log);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void commandsAreAnsweredUnavailableAndTheServiceIsNotReadyWhileAxonServerIsAway() throws Exception {
        for (int i = 0; i < 3; i++) {
            String body = "{\"name\":\"Ada\",\"email\":\"ada" + i + "@example.com\"}";
            HttpResponse<String> registered = send(HttpRequest.newBuilder(uri("/v1/developers"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
            assertThat(registered.statusCode()).as(registered.body()).isEqualTo(503);
            assertThat(registered.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/problem+json"));
            assertThat(JSON.readTree(registered.body()).get("type").asText()).endsWith("/store-unavailable");
            assertThat(registered.headers().firstValue("Retry-After")).hasValue("2");
        }
        // Its stack once a minute, as the embedded store's outage logs it; never an unexpected failure per request.
        List<ILoggingEvent> logged;
        // The appender adds under its own lock; other threads (the connector, the processors) log meanwhile.
        synchronized (log) {
            logged = List.copyOf(log.list);
        }
        assertThat(logged).filteredOn(event -> event.getLevel() == Level.ERROR).isEmpty();
        assertThat(logged).filteredOn(event -> event.getLoggerName().endsWith("StoreUnavailableAdvice")).hasSize(1);

        HttpResponse<String> readiness = send(HttpRequest.newBuilder(uri("/actuator/health/readiness")).GET());
        assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(503);
        assertThat(JSON.readTree(readiness.body()).get("status").asText()).isEqualTo("DOWN");
        HttpResponse<String> liveness = send(HttpRequest.newBuilder(uri("/actuator/health/liveness")).GET());
        assertThat(liveness.statusCode()).as(liveness.body()).isEqualTo(200);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
