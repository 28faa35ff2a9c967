package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latchkey.api.RateLimit;
import io.latchkey.validator.Decision;
import io.latchkey.validator.LogCapture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against an HTTP server answering as a query side of another release might. */
class QuerySideFallbackTest {

    private CannedQuerySide querySide;
    private QuerySideFallback fallback;

    @BeforeEach
    void start() {
        querySide = new CannedQuerySide("{}");
        fallback = querySide.fallback();
    }

    @AfterEach
    void stop() {
        querySide.close();
    }

    @Test
    void readsTheQuerySidesDecision() {
        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[\"read\"],"
                + "\"expiresAt\":\"2030-01-01T00:00:00Z\",\"secretValidUntil\":\"2029-06-01T12:00:00.250Z\"}");

        assertThat(fallback.validate("lk_live_x", "read")).hasValueSatisfying(answer -> {
            assertThat(answer.decision().status()).isEqualTo(Decision.Status.VALID);
            assertThat(answer.decision().scopes()).containsExactly("read");
            assertThat(answer.decision().secretValidUntil()).isEqualTo(Instant.parse("2029-06-01T12:00:00.250Z"));
            assertThat(answer.rateLimit()).as("a query side that sends no limits").isNull();
            assertThat(answer.monthlyQuota()).isZero();
        });
    }

    @Test
    void anEdgeWhoseTokenTheQuerySideRefusesGetsNoDecision() {
        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[\"read\"]}");
        QuerySideFallback wrongToken = new QuerySideFallback(querySide.fallback().url(), "another-edge-token-0123",
                new ObjectMapper(), new EdgeMetrics(new SimpleMeterRegistry()));

        assertThat(wrongToken.validate("lk_live_x", "read")).isEmpty();
        assertThat(querySide.fallback().validate("lk_live_x", "read")).isPresent();
    }

    @Test
    void failedCallsAreCountedByReasonAndLoggedOnceUntilAnAnswerComes() throws IOException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        QuerySideFallback counted = querySide.fallback(new EdgeMetrics(registry));
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        QuerySideFallback unreachable = new QuerySideFallback(URI.create("http://127.0.0.1:" + closedPort
                + "/v1/validate"), CannedQuerySide.TOKEN, new ObjectMapper(), new EdgeMetrics(registry));
        List<ILoggingEvent> logged;
        try (LogCapture log = LogCapture.of(QuerySideFallback.class)) {
            logged = log.events();
            querySide.status(503);
            assertThat(counted.validate("lk_live_x", "read")).isEmpty();
            assertThat(counted.validate("lk_live_x", "read")).isEmpty();
            assertThat(counted.failing()).satisfies(failing -> {
                assertThat(failing.reason()).isEqualTo("status");
                assertThat(failing.calls()).isEqualTo(2);
            });
            assertThat(unreachable.validate("lk_live_x", "read")).isEmpty();

            querySide.status(200);
            querySide.answer("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[\"read\"],"
                    + "\"rateLimit\":null,\"monthlyQuota\":null}");
            assertThat(counted.validate("lk_live_x", "read")).isPresent();
            assertThat(counted.validate("lk_live_x", "read")).isPresent();
        }

        assertThat(registry.get("latchkey.fallback.failures").tag("reason", "status").counter().count()).isEqualTo(2);
        assertThat(registry.get("latchkey.fallback.failures").tag("reason", "unreachable").counter().count())
                .isEqualTo(1);
        assertThat(counted.failing()).as("answers again").isNull();
        assertThat(logged).map(ILoggingEvent::getFormattedMessage).satisfiesExactly(
                line -> assertThat(line).contains("answered the fallback 503"),
                line -> assertThat(line).contains("cannot reach the query side at http://127.0.0.1:" + closedPort),
                line -> assertThat(line).contains("answers the fallback again, after 2 failed calls"));
    }

    @Test
    void callsThatFailAndGetThroughInTurnAreToldOnceAMinuteNotPerTurn() {
        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[\"read\"],"
                + "\"rateLimit\":null,\"monthlyQuota\":null}");
        List<ILoggingEvent> logged;
        try (LogCapture log = LogCapture.of(QuerySideFallback.class)) {
            logged = log.events();
            for (int turn = 0; turn < 10; turn++) {
                querySide.status(503);
                assertThat(fallback.validate("lk_live_x", "read")).isEmpty();
                querySide.status(200);
                assertThat(fallback.validate("lk_live_x", "read")).isPresent();
            }
        }

        assertThat(logged).map(ILoggingEvent::getFormattedMessage).satisfiesExactly(
                line -> assertThat(line).contains("answered the fallback 503 (its own replica is not current"),
                line -> assertThat(line).contains("answers the fallback again, after 1 failed calls"));
    }

    @Test
    void readsTheKeysLimitsWithTheDecision() {
        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[\"read\"],"
                + "\"rateLimit\":{\"limit\":5,\"periodSeconds\":60,\"burst\":null},\"monthlyQuota\":1000}");

        assertThat(fallback.validate("lk_live_x", "read")).hasValueSatisfying(answer -> {
            assertThat(answer.rateLimit()).isEqualTo(new RateLimit(5, 60, null));
            assertThat(answer.monthlyQuota()).isEqualTo(1000);
        });
    }

    @Test
    void anAnswerThisEdgeCannotReadIsNoDecisionNotARefusedScope() {
        querySide.answer("{\"status\":\"SUSPENDED\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[]}");
        assertThat(fallback.validate("lk_live_x", "read")).isEmpty();

        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[],\"expiresAt\":\"soon\"}");
        assertThat(fallback.validate("lk_live_x", "read")).isEmpty();

        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[],"
                + "\"secretValidUntil\":\"soon\"}");
        assertThat(fallback.validate("lk_live_x", "read")).isEmpty();

        querySide.answer("{}");
        assertThat(fallback.validate("lk_live_x", "read")).isEmpty();

        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[],"
                + "\"rateLimit\":{\"limit\":\"many\",\"periodSeconds\":60}}");
        assertThat(fallback.validate("lk_live_x", "read")).as("a limit it cannot read").isEmpty();
        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[],"
                + "\"monthlyQuota\":-3}");
        assertThat(fallback.validate("lk_live_x", "read")).as("a quota it cannot read").isEmpty();
        querySide.answer("{\"status\":\"VALID\",\"developerId\":\"d\",\"scopes\":[\"read\"]}");
        assertThat(fallback.validate("lk_live_x", "read")).as("a valid key without its id").isEmpty();
    }
}
