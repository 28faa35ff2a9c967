package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.secret.KeyFormat;
import io.latchkey.validator.KeyReplica;
import io.latchkey.validator.KeyValidator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which checks may wait for the query side while the replica is not current, against a real HTTP query side. */
class GatewayRoutesFallbackTest {

    /** A replica still filling: nothing written to it is complete yet. */
    private static final KeyReplica FILLING = new EmptyReplica(false, null);

    private CannedQuerySide querySide;
    private GatewayRoutes routes;

    @BeforeEach
    void start() {
        querySide = new CannedQuerySide(
                "{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[\"read\"]}");
        routes = new GatewayRoutes(KeyValidator.builder().replica(FILLING).maxLag(null).build(),
                Optional.of(querySide.fallback()), new EdgeMetrics(new SimpleMeterRegistry()), Optional.empty());
    }

    @AfterEach
    void stop() {
        querySide.close();
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
        assertThat(querySide.asked()).isEqualTo(1);
    }

    @Test
    void aThreadThatMayNotWaitIsAnswered503WithoutAskingTheQuerySide() {
        assertThat(check(false).status()).isEqualTo(503);
        assertThat(querySide.asked()).isZero();
    }
}
