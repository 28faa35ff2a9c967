package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.latchkey.validator.Decision;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against an HTTP server answering as a query side of another release might. */
class QuerySideFallbackTest {

    private final AtomicReference<String> answer = new AtomicReference<>();
    private HttpServer querySide;
    private QuerySideFallback fallback;

    @BeforeEach
    void start() throws IOException {
        querySide = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        querySide.createContext("/v1/validate", exchange -> {
            byte[] body = answer.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        querySide.start();
        fallback = new QuerySideFallback(URI.create("http://127.0.0.1:" + querySide.getAddress().getPort()
                + "/v1/validate"), new ObjectMapper());
    }

    @AfterEach
    void stop() {
        querySide.stop(0);
    }

    @Test
    void readsTheQuerySidesDecision() {
        answer.set("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[\"read\"],"
                + "\"expiresAt\":\"2030-01-01T00:00:00Z\"}");

        assertThat(fallback.validate("lk_live_x", "read")).hasValueSatisfying(decision -> {
            assertThat(decision.status()).isEqualTo(Decision.Status.VALID);
            assertThat(decision.scopes()).containsExactly("read");
        });
    }

    @Test
    void anAnswerThisEdgeCannotReadIsNoDecisionNotARefusedScope() {
        answer.set("{\"status\":\"SUSPENDED\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[]}");
        assertThat(fallback.validate("lk_live_x", "read")).isEmpty();

        answer.set("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[],\"expiresAt\":\"soon\"}");
        assertThat(fallback.validate("lk_live_x", "read")).isEmpty();

        answer.set("{}");
        assertThat(fallback.validate("lk_live_x", "read")).isEmpty();
    }
}
