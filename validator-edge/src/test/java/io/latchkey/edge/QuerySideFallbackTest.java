package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
    void afterATimeoutCallsGetNoDecisionAtOnceForAPauseThenOneTriesTheQuerySideAgain() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicLong now = new AtomicLong();
        QuerySideFallback paused = querySide.fallback(new EdgeMetrics(registry), now::get);
        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[\"read\"]}");
        querySide.delay(QuerySideFallback.PAUSE.multipliedBy(2));

        assertThat(paused.validate("lk_live_x", "read")).as("timed out").isEmpty();
        for (int call = 0; call < 3; call++) {
            assertThat(paused.validate("lk_live_x", "read")).isEmpty();
        }
        assertThat(querySide.asked()).as("not asked while paused").isEqualTo(1);

        now.addAndGet(QuerySideFallback.PAUSE.toNanos() - 1);
        assertThat(paused.validate("lk_live_x", "read")).isEmpty();
        assertThat(querySide.asked()).as("the pause is not over yet").isEqualTo(1);

        now.incrementAndGet();
        assertThat(paused.validate("lk_live_x", "read")).as("timed out again").isEmpty();
        assertThat(querySide.asked()).isEqualTo(2);
        assertThat(paused.validate("lk_live_x", "read")).as("paused again").isEmpty();
        assertThat(querySide.asked()).isEqualTo(2);

        querySide.delay(Duration.ZERO);
        now.addAndGet(QuerySideFallback.PAUSE.toNanos());
        assertThat(paused.validate("lk_live_x", "read")).as("answered").isPresent();
        assertThat(paused.validate("lk_live_x", "read")).as("no longer paused").isPresent();
        assertThat(querySide.asked()).isEqualTo(4);

        assertThat(registry.get("latchkey.fallback.failures").tag("reason", "timeout").counter().count())
                .isEqualTo(2);
        assertThat(registry.get("latchkey.fallback.failures").tag("reason", "paused").counter().count())
                .isEqualTo(5);
        assertThat(paused.failing()).as("answers again").isNull();
    }

    @Test
    void afterAPauseOneCallAtATimeTriesTheQuerySideUntilItAnswersOtherwiseThanByATimeout() throws Exception {
        AtomicLong now = new AtomicLong();
        QuerySideFallback paused = querySide.fallback(new EdgeMetrics(new SimpleMeterRegistry()), now::get);
        querySide.delay(QuerySideFallback.PAUSE.multipliedBy(2));
        assertThat(paused.validate("lk_live_x", "read")).as("timed out").isEmpty();

        querySide.delay(Duration.ZERO);
        querySide.status(503);
        querySide.hold();
        now.addAndGet(QuerySideFallback.PAUSE.toNanos());
        ExecutorService callers = Executors.newFixedThreadPool(2);
        try {
            Future<Optional<QuerySideFallback.Answer>> probe =
                    callers.submit(() -> paused.validate("lk_live_x", "read"));
            awaitAsks(2);
            assertThat(paused.validate("lk_live_x", "read")).as("not asked beside the probe").isEmpty();
            assertThat(querySide.asked()).isEqualTo(2);
            querySide.release();
            assertThat(probe.get()).as("answered 503").isEmpty();

            // A 503 is an answer in time: calls go to the query side together again.
            querySide.hold();
            List<Future<Optional<QuerySideFallback.Answer>>> together = List.of(
                    callers.submit(() -> paused.validate("lk_live_x", "read")),
                    callers.submit(() -> paused.validate("lk_live_x", "read")));
            awaitAsks(4);
            querySide.release();
            for (Future<Optional<QuerySideFallback.Answer>> call : together) {
                assertThat(call.get()).isEmpty();
            }
            assertThat(querySide.asked()).isEqualTo(4);
        } finally {
            querySide.release();
            callers.shutdownNow();
        }
    }

    /** Waits, a few seconds at most, until the query side was asked {@code asks} times. */
    private void awaitAsks(int asks) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (querySide.asked() < asks && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(querySide.asked()).isEqualTo(asks);
    }

    @Test
    void anAnswerWhoseBodyStallsIsATimeoutAndHoldsNoCallerLongerThanTheTimeout() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (StalledPeer stalling = StalledPeer.stallingABody("{\"status\":")) {
            QuerySideFallback fallback = new QuerySideFallback(URI.create("http://127.0.0.1:" + stalling.port()
                    + "/v1/validate"), CannedQuerySide.TOKEN, new ObjectMapper(), new EdgeMetrics(registry));

            // Without a deadline of its own the call waits for the body for good (the request's timeout ends at the
            // headers): a guard, not a measure.
            assertTimeoutPreemptively(Duration.ofSeconds(10), () ->
                    assertThat(fallback.validate("lk_live_x", "read")).isEmpty());
            assertThat(registry.get("latchkey.fallback.failures").tag("reason", "timeout").counter().count())
                    .isEqualTo(1);
        }
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
