package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.secret.KeyFormat;
import io.latchkey.testing.MonthTurn;
import io.latchkey.validator.KeyReplica;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.ratelimit.LocalQuotaLimiter;
import io.latchkey.validator.ratelimit.LocalRateLimiter;
import io.latchkey.validator.redis.ExactRedisRateLimiter;
import io.latchkey.validator.redis.RedisLink;
import io.latchkey.validator.redis.RedisQuotaLimiter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
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
    void aKeyAnsweredByTheQuerySideIsRateLimitedAndCountedAgainstItsQuotaHere() throws InterruptedException {
        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"limited\",\"developerId\":\"d\",\"scopes\":[\"read\"],"
                + "\"rateLimit\":{\"limit\":2,\"periodSeconds\":3600},\"monthlyQuota\":1000}");
        routes = new GatewayRoutes(KeyValidator.builder().replica(FILLING).maxLag(null)
                .rateLimiter(LocalRateLimiter.create()).quotaLimiter(LocalQuotaLimiter.create()).build(),
                Optional.of(querySide.fallback()), new EdgeMetrics(new SimpleMeterRegistry()), Optional.empty());

        assertThat(check(true).status()).isEqualTo(200);
        assertThat(check(true).status()).isEqualTo(200);
        GatewayRoutes.Answer third = check(true);
        assertThat(third.status()).as("the key's limit of 2 an hour holds while the replica fills").isEqualTo(429);
        assertThat(querySide.asked()).isEqualTo(3);

        // The quota is counted in the month of the validator's clock, the system's: it must not end in between.
        MonthTurn.awaitClearOfMonthEnd();
        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"quota\",\"developerId\":\"d\",\"scopes\":[\"read\"],"
                + "\"monthlyQuota\":1}");
        assertThat(check(true).status()).isEqualTo(200);
        assertThat(check(true).status()).as("its monthly quota of 1 used up").isEqualTo(429);
    }

    /** Exact mode: the limiters answer from Redis (the machine's, on 6379), after the query side has. */
    @Test
    void aKeyAnsweredByTheQuerySideIsLimitedInRedisInExactMode() {
        String keyId = "fallback-exact-" + UUID.randomUUID();
        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"" + keyId + "\",\"developerId\":\"d\","
                + "\"scopes\":[\"read\"],\"rateLimit\":{\"limit\":2,\"periodSeconds\":3600},\"monthlyQuota\":1000}");
        Duration budget = Duration.ofMillis(500);
        try (RedisLink redis = RedisLink.open("redis://127.0.0.1:6379", budget, budget)) {
            routes = new GatewayRoutes(KeyValidator.builder().replica(FILLING).maxLag(null)
                    .rateLimiter(new ExactRedisRateLimiter(redis)).quotaLimiter(RedisQuotaLimiter.exact(redis)).build(),
                    Optional.of(querySide.fallback()), new EdgeMetrics(new SimpleMeterRegistry()), Optional.empty());

            assertThat(check(true).status()).isEqualTo(200);
            GatewayRoutes.Answer second = check(true);
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.headers().get("RateLimit")).contains("r=0");
            assertThat(check(true).status()).isEqualTo(429);
        }
    }

    @Test
    void aThreadThatMayWaitIsAnsweredByTheQuerySide() {
        assertThat(routes.mayWait()).isTrue();
        assertThat(check(true).status()).isEqualTo(200);
        assertThat(querySide.asked()).isEqualTo(1);
    }

    /**
     * A client may shut its sending side once its check is out (as {@code nc -N} does); the answer, which waits on the
     * query side here, must still reach it, and the connection close after it.
     */
    @Test
    void aClientThatShutsItsOutputAfterTheCheckStillGetsTheAnswer() throws Exception {
        try (GatewayServer server = new GatewayServer(routes, "127.0.0.1", 0, 1, null, Duration.ofSeconds(10), 100);
             Socket client = new Socket("127.0.0.1", server.port())) {
            client.setSoTimeout(5_000);
            client.getOutputStream().write(("GET /authorize HTTP/1.1\r\nHost: edge\r\nAuthorization: Bearer "
                    + KeyFormat.forEnvironment("live").generate() + "\r\nX-Required-Scope: read\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            client.shutdownOutput();

            String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);

            assertThat(answer).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close");
            assertThat(querySide.asked()).isEqualTo(1);
        }
    }

    @Test
    void aThreadThatMayNotWaitIsAnswered503WithoutAskingTheQuerySide() {
        assertThat(check(false).status()).isEqualTo(503);
        assertThat(querySide.asked()).isZero();
    }
}
