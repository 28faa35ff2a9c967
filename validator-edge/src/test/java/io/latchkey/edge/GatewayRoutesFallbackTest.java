package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.validator.KeyReplica;
import io.latchkey.validator.KeyValidator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which checks may wait for the query side while the replica is not current, against a real HTTP query side. */
class GatewayRoutesFallbackTest {

    /** A replica still filling: nothing written to it is complete yet. */
    private static final KeyReplica FILLING = new KeyReplica() {
        @Override
        public ActiveKeyEntry lookup(KeyHash hash) {
            return null;
        }

        @Override
        public boolean isReady() {
            return false;
        }

        @Override
        public int size() {
            return 0;
        }

        @Override
        public Instant asOf() {
            return null;
        }
    };

    private final AtomicInteger asked = new AtomicInteger();
    private HttpServer querySide;
    private GatewayRoutes routes;

    @BeforeEach
    void start() throws IOException {
        querySide = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        querySide.createContext("/v1/validate", exchange -> {
            asked.incrementAndGet();
            byte[] body = "{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[\"read\"]}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        querySide.start();
        QuerySideFallback fallback = new QuerySideFallback(URI.create("http://127.0.0.1:"
                + querySide.getAddress().getPort() + "/v1/validate"), new ObjectMapper());
        routes = new GatewayRoutes(KeyValidator.builder().replica(FILLING).build(), Optional.of(fallback),
                new EdgeMetrics(new SimpleMeterRegistry()), Optional.empty());
    }

    @AfterEach
    void stop() {
        querySide.stop(0);
    }

    private GatewayRoutes.Answer check(boolean mayAsk) {
        Map<String, List<String>> headers = Map.of("Authorization",
                List.of("Bearer " + KeyFormat.forEnvironment("live").generate()), "X-Required-Scope", List.of("read"));
        return routes.answer("GET", "/authorize", null, name -> headers.getOrDefault(name, List.of()), Runnable::run,
                mayAsk).toCompletableFuture().join();
    }

    @Test
    void aThreadThatMayWaitIsAnsweredByTheQuerySide() {
        assertThat(routes.mayWait()).isTrue();
        assertThat(check(true).status()).isEqualTo(200);
        assertThat(asked).hasValue(1);
    }

    @Test
    void aThreadThatMayNotWaitIsAnswered503WithoutAskingTheQuerySide() {
        assertThat(check(false).status()).isEqualTo(503);
        assertThat(asked).hasValue(0);
    }
}
