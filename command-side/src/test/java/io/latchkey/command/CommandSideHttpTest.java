package io.latchkey.command;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.api.UsageCount;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.validator.Decision;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.common.caching.Cache;
import org.axonframework.common.lock.LockAcquisitionFailedException;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The real command side on the real embedded store, driven over HTTP: the lifecycle, every error answer, the
 * expiry schedule, and finally what actually landed in the store and the log: no plaintext key anywhere, audit
 * metadata on every event.
 */
// Where Spring MVC logs each body it writes, the plaintext keys' among them unless they hide them.
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "logging.level.org.springframework.web.servlet.mvc.method.annotation=TRACE")
@DirtiesContext
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CommandSideHttpTest {

    private static final String TOKEN = "test-operator-token-0123456789";
    private static final String USAGE_TOKEN = "test-usage-token-0123456789";
    /** A command path an operator made public by mistake: no command may come from it without a credential. */
    private static final String PUBLIC_REVOKE = "/v1/keys/" + UUID.randomUUID() + "/revoke";
    private static final String UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";
    private static final int STORE_PORT = LoopbackPorts.free();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Every plaintext key a response contained; the store must hold none of them. */
    private static final Set<String> ISSUED_KEYS = ConcurrentHashMap.newKeySet();
    /** Keys a client sent where none belongs; neither may the store hold them. */
    private static final Set<String> PASTED_KEYS = ConcurrentHashMap.newKeySet();
    /** Every log event from the first request on (Spring Boot resets logging at start-up, so attached after it). */
    private static final ListAppender<ILoggingEvent> LOG = new ListAppender<>();
    /** The root unit of work of each usage command handled, in order: how a report was split. */
    private static final List<Object> USAGE_UNITS = Collections.synchronizedList(new ArrayList<>());

    /** A key whose usage command fails, as a store failing part of the way through a report would; null for none. */
    private static volatile String failingUsageKey;
    /** How it fails. */
    private static volatile RuntimeException usageFailure =
            new IllegalStateException("injected failure recording usage");

    /**
     * Observes which root unit of work records each usage command, and fails the command of {@link #failingUsageKey}.
     */
    @TestConfiguration
    static class UsageUnits {
        @Bean
        MessageHandlerInterceptor<CommandMessage<?>> usageUnitObserver() {
            return (unitOfWork, chain) -> {
                if (unitOfWork.getMessage().getPayload() instanceof RecordKeyUsageCommand usage) {
                    USAGE_UNITS.add(unitOfWork.root());
                    if (usage.keyId().equals(failingUsageKey)) {
                        throw usageFailure;
                    }
                }
                return chain.proceed();
            };
        }
    }

    @TempDir
    static Path dataDir;

    @LocalServerPort
    int port;

    @Autowired
    EventStore eventStore;
    @Autowired
    @Qualifier("apiKeyCache")
    Cache apiKeyCache;
    @Autowired
    KeyHasher keyHasher;

    private final HttpClient http = HttpClient.newHttpClient();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("latchkey.store.port", () -> STORE_PORT);
        registry.add("latchkey.data-dir", () -> dataDir.toString());
        registry.add("latchkey.operator-token", () -> TOKEN);
        registry.add("latchkey.usage.token", () -> USAGE_TOKEN);
        registry.add("latchkey.security.public-paths", () -> PUBLIC_REVOKE);
        registry.add("latchkey.expiry.sweep-interval", () -> "200ms");
    }

    @BeforeEach
    void captureLog() {
        if (!LOG.isStarted()) {
            LOG.start();
            ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(LOG);
        }
    }

    record Response(int status, JsonNode body, String raw, HttpResponse<String> http) {
        String header(String name) {
            return http.headers().firstValue(name).orElse(null);
        }
    }

    private Response send(String method, String path, String body, String authorization, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(15))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null && !List.of(headers).contains("Content-Type")) {
            request.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode parsed = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
            if (parsed.hasNonNull("key")) {
                ISSUED_KEYS.add(parsed.get("key").asText());
            }
            return new Response(response.statusCode(), parsed, response.body(), response);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Response call(String method, String path, Object body, String... headers) {
        return send(method, path, body == null ? null : json(body), "Bearer " + TOKEN, headers);
    }

    private static String json(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> map(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    private String registerDeveloper() {
        Response registered = call("POST", "/v1/developers", map("name", "Ada", "email", address("ada")));
        assertThat(registered.status()).as(registered.raw()).isEqualTo(201);
        return registered.body().get("developerId").asText();
    }

    /** An address no other account has: each account's must be its own. */
    private static String address(String name) {
        return name + "." + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
    }

    private Response createKey(String developerId, Object... fields) {
        Map<String, Object> body = map("name", "ci", "scopes", List.of("read"));
        body.putAll(map(fields));
        return call("POST", "/v1/developers/" + developerId + "/keys", body);
    }

    private String createRevokedKey() {
        String keyId = createKey(registerDeveloper()).body().get("keyId").asText();
        assertThat(call("POST", "/v1/keys/" + keyId + "/revoke", null).status()).isEqualTo(200);
        return keyId;
    }

    private static void assertProblem(Response response, int status) {
        assertThat(response.status()).as(response.raw()).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.body().get("status").asInt()).isEqualTo(status);
    }

    @Test
    void keyLifecycleOverHttp() {
        Response registered = call("POST", "/v1/developers", map("name", " Ada ", "email", address("ada")));
        assertThat(registered.status()).as(registered.raw()).isEqualTo(201);
        String developerId = registered.body().get("developerId").asText();
        assertThat(registered.header("Location")).isEqualTo("/v1/developers/" + developerId);
        assertThat(registered.body().get("name").asText()).isEqualTo("Ada");
        assertThat(registered.body().hasNonNull("registeredAt")).isTrue();

        Response created = createKey(developerId, "scopes", List.of("write", "orders:read", "write"),
                "expiresAt", "2099-01-01T00:00:00Z", "rateLimit", map("limit", 100, "periodSeconds", 60));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        String keyId = created.body().get("keyId").asText();
        String key = created.body().get("key").asText();
        assertThat(key).startsWith("lk_live_").matches(KeyFormat::isWellFormed);
        assertThat(created.body().get("hint").asText()).isEqualTo(KeyFormat.hint(key));
        assertThat(created.body().get("developerId").asText()).isEqualTo(developerId);
        assertThat(created.body().get("scopes").toString()).isEqualTo("[\"orders:read\",\"write\"]");
        assertThat(created.body().get("expiresAt").asText()).isEqualTo("2099-01-01T00:00:00Z");
        assertThat(created.body().get("rateLimit").get("limit").asLong()).isEqualTo(100);
        assertThat(created.body().get("version").asLong()).isZero();
        assertThat(created.header("ETag")).isEqualTo("\"0\"");
        assertThat(created.header("Location")).isEqualTo("/v1/keys/" + keyId);
        assertThat(created.header("Cache-Control")).as("the plaintext is kept by no cache").isEqualTo("no-store");

        Response scoped = call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", List.of("admin")), "If-Match",
                "\"0\"");
        assertThat(scoped.status()).as(scoped.raw()).isEqualTo(200);
        assertThat(scoped.body().get("version").asLong()).isEqualTo(1);
        assertThat(scoped.header("ETag")).isEqualTo("\"1\"");

        Instant beforeRotation = Instant.now();
        Response rotated = call("POST", "/v1/keys/" + keyId + "/rotate", map("gracePeriodSeconds", 60));
        assertThat(rotated.header("Cache-Control")).isEqualTo("no-store");
        assertThat(rotated.status()).as(rotated.raw()).isEqualTo(200);
        String newKey = rotated.body().get("key").asText();
        assertThat(newKey).isNotEqualTo(key).matches(KeyFormat::isWellFormed);
        assertThat(Instant.parse(rotated.body().get("previousKeyValidUntil").asText()))
                .isBetween(beforeRotation.plusSeconds(59), Instant.now().plusSeconds(61));
        assertThat(rotated.body().get("version").asLong()).isEqualTo(2);

        Response rotatedWithoutBody = call("POST", "/v1/keys/" + keyId + "/rotate", null);
        assertThat(rotatedWithoutBody.status()).as(rotatedWithoutBody.raw()).isEqualTo(200);
        assertThat(rotatedWithoutBody.body().get("version").asLong()).isEqualTo(3);

        Response renewed = call("POST", "/v1/keys/" + keyId + "/renew", map("expiresAt", "2100-01-01T00:00:00Z"));
        assertThat(renewed.status()).as(renewed.raw()).isEqualTo(200);
        assertThat(renewed.body().get("expiresAt").asText()).isEqualTo("2100-01-01T00:00:00Z");
        assertThat(renewed.body().get("version").asLong()).isEqualTo(4);
        // Times are kept to the millisecond, as every view shows them: a nanosecond later is the same expiry.
        Response finer = call("POST", "/v1/keys/" + keyId + "/renew",
                map("expiresAt", "2100-01-01T00:00:00.000000001Z"));
        assertThat(finer.body().get("expiresAt").asText()).isEqualTo("2100-01-01T00:00:00Z");
        assertThat(finer.body().get("version").asLong()).as("nothing recorded").isEqualTo(4);

        Response limited = call("PUT", "/v1/keys/" + keyId + "/rate-limit",
                map("limit", 10, "periodSeconds", 1, "burst", 20));
        assertThat(limited.status()).as(limited.raw()).isEqualTo(200);
        assertThat(limited.body().get("rateLimit").get("burst").asLong()).isEqualTo(20);
        assertThat(limited.body().get("version").asLong()).isEqualTo(5);
        // A burst equal to the limit is none, in the answer too: the limit held and the one answered are one form.
        Response even = call("PUT", "/v1/keys/" + keyId + "/rate-limit",
                map("limit", 10, "periodSeconds", 1, "burst", 10));
        assertThat(even.body().get("rateLimit").get("burst").isNull()).as(even.raw()).isTrue();
        assertThat(even.body().get("version").asLong()).isEqualTo(6);
        Response same = call("PUT", "/v1/keys/" + keyId + "/rate-limit", map("limit", 10, "periodSeconds", 1));
        assertThat(same.body().get("rateLimit").get("burst").isNull()).as(same.raw()).isTrue();
        assertThat(same.body().get("version").asLong()).as("nothing recorded").isEqualTo(6);
        Response sameAgain = call("PUT", "/v1/keys/" + keyId + "/rate-limit",
                map("limit", 10, "periodSeconds", 1, "burst", 10));
        assertThat(sameAgain.body().get("rateLimit").get("burst").isNull()).as(sameAgain.raw()).isTrue();
        assertThat(sameAgain.body().get("version").asLong()).as("nothing recorded").isEqualTo(6);

        Response revoked = call("POST", "/v1/keys/" + keyId + "/revoke", map("reason", "leaked"));
        assertThat(revoked.status()).as(revoked.raw()).isEqualTo(200);
        assertThat(revoked.body().get("version").asLong()).isEqualTo(7);
        assertThat(revoked.body().hasNonNull("revokedAt")).isTrue();
    }

    @Test
    void aCreateSentAgainWithItsIdempotencyKeyNamesTheKeyItMadeInsteadOfMakingASecond() throws Exception {
        String developerId = registerDeveloper();
        String path = "/v1/developers/" + developerId + "/keys";
        Map<String, Object> body = map("name", "ci", "scopes", List.of("read"));
        String idempotencyKey = "deploy-" + UUID.randomUUID();

        // Two at once, as a client that gave up on the first might send the second.
        ExecutorService twoClients = Executors.newFixedThreadPool(2);
        List<Response> both = new ArrayList<>();
        try {
            CyclicBarrier together = new CyclicBarrier(2);
            Callable<Response> create = () -> {
                together.await();
                return call("POST", path, body, "Idempotency-Key", idempotencyKey);
            };
            for (Future<Response> answer : twoClients.invokeAll(List.of(create, create))) {
                both.add(answer.get(30, TimeUnit.SECONDS));
            }
        } finally {
            twoClients.shutdownNow();
        }
        Response again = call("POST", path, body, "Idempotency-Key", idempotencyKey);

        assertThat(both).extracting(Response::status).containsExactlyInAnyOrder(201, 409);
        Response created = both.stream().filter(response -> response.status() == 201).findFirst().orElseThrow();
        String keyId = created.body().get("keyId").asText();
        for (Response refused : List.of(both.stream().filter(response -> response.status() == 409).findFirst()
                .orElseThrow(), again)) {
            assertProblem(refused, 409);
            assertThat(refused.body().get("type").asText()).endsWith("/idempotency-key-used");
            assertThat(refused.body().get("keyId").asText()).isEqualTo(keyId);
            assertThat(refused.body().has("key")).isFalse();
        }
        String firstSecretHash = keyHasher.hash(created.body().get("key").asText()).hex();
        List<?> events = eventStore.readEvents(keyId, 0).asStream().map(event -> event.getPayload()).toList();
        assertThat(events).hasSize(1).first().isInstanceOfSatisfying(ApiKeyCreatedEvent.class, first ->
                assertThat(first.secretHash()).isEqualTo(firstSecretHash));
        // The refused creates left nothing of theirs in the key's cached state: a rotation retires the first secret.
        assertThat(call("POST", "/v1/keys/" + keyId + "/rotate", null).status()).isEqualTo(200);
        assertThat(eventStore.readEvents(keyId, 1).asStream().map(event -> event.getPayload()).toList()).hasSize(1)
                .first().isInstanceOfSatisfying(ApiKeyRotatedEvent.class, rotated ->
                        assertThat(rotated.previousSecretHash()).isEqualTo(firstSecretHash));

        Response otherDevelopers = call("POST", "/v1/developers/" + registerDeveloper() + "/keys", body,
                "Idempotency-Key", idempotencyKey);
        assertThat(otherDevelopers.status()).as("another developer's create").isEqualTo(201);
        assertThat(otherDevelopers.body().get("keyId").asText()).isNotEqualTo(keyId);
        Response withoutHeader = createKey(developerId);
        assertThat(withoutHeader.status()).isEqualTo(201);
        assertThat(withoutHeader.body().get("keyId").asText()).isNotEqualTo(keyId);
    }

    @Test
    void aRotateSentAgainWithItsIdempotencyKeyRotatesNothingAndLeavesTheFirstAnswersSecretWorking() throws Exception {
        String keyId = createKey(registerDeveloper()).body().get("keyId").asText();
        String path = "/v1/keys/" + keyId + "/rotate";
        String idempotencyKey = "rot-" + UUID.randomUUID();

        // Two at once, as a client that gave up on the first might send the second.
        ExecutorService twoClients = Executors.newFixedThreadPool(2);
        List<Response> both = new ArrayList<>();
        try {
            CyclicBarrier together = new CyclicBarrier(2);
            Callable<Response> rotate = () -> {
                together.await();
                return call("POST", path, null, "Idempotency-Key", idempotencyKey);
            };
            for (Future<Response> answer : twoClients.invokeAll(List.of(rotate, rotate))) {
                both.add(answer.get(30, TimeUnit.SECONDS));
            }
        } finally {
            twoClients.shutdownNow();
        }
        Response again = call("POST", path, map("gracePeriodSeconds", 60), "Idempotency-Key", idempotencyKey);

        assertThat(both).extracting(Response::status).containsExactlyInAnyOrder(200, 409);
        Response rotated = both.stream().filter(response -> response.status() == 200).findFirst().orElseThrow();
        for (Response refused : List.of(both.stream().filter(response -> response.status() == 409).findFirst()
                .orElseThrow(), again)) {
            assertProblem(refused, 409);
            assertThat(refused.body().get("type").asText()).endsWith("/idempotency-key-used");
            assertThat(refused.body().get("keyId").asText()).isEqualTo(keyId);
            assertThat(refused.body().get("detail").asText()).contains("rotated").contains("only in that answer");
            assertThat(refused.body().has("key")).isFalse();
        }
        List<?> rotations = eventStore.readEvents(keyId, 1).asStream().map(event -> event.getPayload()).toList();
        assertThat(rotations).hasSize(1).first().isInstanceOfSatisfying(ApiKeyRotatedEvent.class, first ->
                assertThat(first.secretHash()).isEqualTo(keyHasher.hash(rotated.body().get("key").asText()).hex()));

        assertThat(call("POST", path, null, "Idempotency-Key", "rot-other").status()).as("another header")
                .isEqualTo(200);
        String otherKey = createKey(registerDeveloper()).body().get("keyId").asText();
        assertThat(call("POST", "/v1/keys/" + otherKey + "/rotate", null, "Idempotency-Key", idempotencyKey).status())
                .as("another key's rotate with the same header").isEqualTo(200);
        assertThat(call("POST", path, null).status()).as("without the header").isEqualTo(200);
        assertProblem(call("POST", path, null, "Idempotency-Key", "tab\there"), 400);
        assertProblem(call("POST", "/v1/keys/" + UNKNOWN_ID + "/rotate", null, "Idempotency-Key", idempotencyKey),
                404);
    }

    @Test
    void anIdempotencyKeyThatCannotBeOneIsRefused() {
        String path = "/v1/developers/" + registerDeveloper() + "/keys";
        Map<String, Object> body = map("name", "ci", "scopes", List.of("read"));
        // (Java's client sends no character past ASCII in a header, which the service refuses as well.)
        for (String wrong : List.of("x".repeat(256), "tab\there", "one,two", TOKEN)) {
            Response refused = call("POST", path, body, "Idempotency-Key", wrong);
            assertThat(refused.status()).as(wrong.length() > 40 ? "a long one" : wrong).isEqualTo(400);
            assertProblem(refused, 400);
            assertThat(refused.body().get("type").asText()).endsWith("/invalid-idempotency-key");
            assertThat(refused.raw()).doesNotContain(TOKEN);
        }
        Response twice = call("POST", path, body, "Idempotency-Key", "one", "Idempotency-Key", "two");
        assertThat(twice.status()).as("the header sent twice: " + twice.raw()).isEqualTo(400);
        assertThat(call("POST", path, body, "Idempotency-Key", "x".repeat(255)).status()).isEqualTo(201);
    }

    @Test
    void healthIsUpOnTheEmbeddedStoreWithItsComponentsAndProbes() {
        Response health = send("GET", "/actuator/health", null, null);
        assertThat(health.status()).as(health.raw()).isEqualTo(200);
        assertThat(health.body().get("status").asText()).isEqualTo("UP");
        assertThat(health.body().path("components").path("mongo").path("status").asText()).isEqualTo("UP");
        for (String probe : List.of("/actuator/health/liveness", "/actuator/health/readiness")) {
            Response answer = send("GET", probe, null, null);
            assertThat(answer.status()).as(answer.raw()).isEqualTo(200);
        }
        assertThat(send("GET", "/actuator/health/readiness", null, null).body().path("components").has("mongo"))
                .as("ready only with its store").isTrue();
    }

    @Test
    void malformedJsonIsABadRequest() {
        assertProblem(send("POST", "/v1/developers", "{\"name\": ", "Bearer " + TOKEN), 400);
    }

    @Test
    void wrongJsonTypeIsABadRequest() {
        String developerId = registerDeveloper();
        assertProblem(call("POST", "/v1/developers/" + developerId + "/keys",
                map("name", "ci", "scopes", List.of("read"), "expiresAt", "tomorrow")), 400);
        assertProblem(call("POST", "/v1/developers/" + developerId + "/keys", map("name", "ci", "scopes", "read")),
                400);
    }

    @Test
    void anUnreadableBodyIsAnsweredWithWhereOrWhichFieldIsWrong() {
        Response malformed = send("POST", "/v1/developers", "{\"name\": ", "Bearer " + TOKEN);
        assertProblem(malformed, 400);
        assertThat(malformed.body().get("type").asText()).endsWith("/unreadable-body");
        assertThat(malformed.body().get("detail").asText()).startsWith("The body is not valid JSON (line 1, column");

        String developerId = registerDeveloper();
        Response badTime = createKey(developerId, "expiresAt", "tomorrow");
        assertProblem(badTime, 400);
        assertThat(badTime.body().get("detail").asText())
                .isEqualTo("expiresAt must be an ISO-8601 instant such as 2030-01-01T00:00:00Z.");
        assertThat(badTime.raw()).doesNotContain("tomorrow");
        assertThat(createKey(developerId, "scopes", List.of(List.of("read"))).body().get("detail").asText())
                .isEqualTo("scopes[0] must be text.");
    }

    @Test
    void aPathOrMethodNothingAnswersIsAProblemOfOursWhoseDetailNeverRepeatsThePath() {
        // Outside /v1/ no filter checks the URL first: Spring's 404 would have repeated a key in the path; under /v1/ a
        // key's secret without its prefix would have been a 404's instance.
        String pasted = pastedKey();
        String secret = pasted.substring(pasted.lastIndexOf('_') + 1);
        String escaped = secret.substring(0, 10) + "%" + Integer.toHexString(secret.charAt(10)).toUpperCase()
                + secret.substring(11);
        for (String path : List.of("/foo/" + pasted, "/actuator/" + pasted, "/foo?k=" + pasted,
                "/v1/keys/" + secret + "/revoke", "/v1/keys/" + escaped)) {
            for (String accept : List.of("*/*", "application/json")) {
                Response keyInUrl = send("GET", path, null, "Bearer " + TOKEN, "Accept", accept);
                assertThat(keyInUrl.status()).as(path + " " + keyInUrl.raw()).isEqualTo(400);
                assertThat(keyInUrl.raw()).doesNotContain(secret).doesNotContain(escaped);
                assertThat(keyInUrl.body().get("type").asText())
                        .endsWith(path.contains("?") ? "/key-in-query" : "/key-in-path");
            }
        }
        // The operator's token is a credential of the whole system: in a URL it is refused as a key is.
        for (String path : List.of("/v1/developers?k=" + TOKEN, "/v1/keys/" + TOKEN + "/revoke", "/foo?t=" + TOKEN)) {
            Response tokenInUrl = send("POST", path, "{}", "Bearer " + TOKEN, "Content-Type", "application/json");
            assertThat(tokenInUrl.status()).as(path + " " + tokenInUrl.raw()).isEqualTo(400);
            assertThat(tokenInUrl.raw()).doesNotContain(TOKEN);
            assertThat(tokenInUrl.body().get("type").asText())
                    .endsWith(path.contains("?") ? "/key-in-query" : "/key-in-path");
        }
        Response unknown = call("GET", "/v1/lookup/private-words", null);
        assertProblem(unknown, 404);
        assertThat(unknown.body().get("type").asText()).endsWith("/no-such-endpoint");
        assertThat(unknown.body().get("detail").asText()).doesNotContain("lookup").doesNotContain("private-words");

        Response wrongMethod = call("DELETE", "/v1/developers", null);
        assertProblem(wrongMethod, 405);
        assertThat(wrongMethod.body().get("type").asText()).endsWith("/method-not-allowed");
        assertThat(wrongMethod.header("Allow")).contains("POST");

        Response notJson = send("POST", "/v1/developers", "name=Ada", "Bearer " + TOKEN, "Content-Type",
                "application/x-www-form-urlencoded");
        assertProblem(notJson, 415);
        assertThat(notJson.body().get("type").asText()).endsWith("/unsupported-media-type");
        // Any other type than JSON gets the same answer as a form, and is told what to send.
        Response xml = send("POST", "/v1/developers", "<name>Ada</name>", "Bearer " + TOKEN, "Content-Type",
                "application/xml");
        assertProblem(xml, 415);
        assertThat(xml.body().get("title").asText()).isEqualTo(notJson.body().get("title").asText());
        assertThat(xml.body().get("detail").asText()).isEqualTo(notJson.body().get("detail").asText());
        // Nothing here decodes a compressed body: it would be read as the JSON it is not.
        Response gzip = send("POST", "/v1/developers", "{\"name\":\"Ada\",\"email\":\"ada@example.com\"}",
                "Bearer " + TOKEN, "Content-Type", "application/json", "Content-Encoding", "gzip");
        assertProblem(gzip, 415);
        assertThat(gzip.body().get("detail").asText()).contains("Content-Encoding");
    }

    @Test
    void aBodyIsReadOnlyAsJsonInUtf8() {
        // Other JSON types would be read as ours, and JSON in another charset as sent: a UTF-8 'é' as two letters.
        for (String type : List.of("application/merge-patch+json", "application/problem+json",
                "application/json; charset=ISO-8859-1", "application/json; charset=nonsense", "text/plain")) {
            Response refused = send("POST", "/v1/developers", "{\"name\":\"Café\",\"email\":\"cafe@example.com\"}",
                    "Bearer " + TOKEN, "Content-Type", type);
            assertProblem(refused, 415);
            assertThat(refused.body().get("type").asText()).as(type).endsWith("/unsupported-media-type");
        }
        for (String type : List.of("application/json; charset=UTF-8", "Application/JSON")) {
            Response taken = send("POST", "/v1/developers", json(map("name", "Café", "email", address("cafe"))),
                    "Bearer " + TOKEN, "Content-Type", type);
            assertThat(taken.status()).as(type + ": " + taken.raw()).isEqualTo(201);
            assertThat(taken.body().get("name").asText()).isEqualTo("Café");
        }
    }

    /**
     * Jackson reads JSON in UTF-16 or UTF-32 when no charset is declared, and skips a byte order mark: such a body is
     * refused as one in another declared charset is, whether it states its length or comes in chunks.
     */
    @Test
    void aBodyInUtf16OrUtf32OrLedByAByteOrderMarkIsRefusedAndRegistersNoOne() throws Exception {
        String email = address("utf16");
        String body = json(map("name", "Utf16", "email", email));
        byte[] utf8 = body.getBytes(StandardCharsets.UTF_8);
        byte[] bomLed = new byte[utf8.length + 3];
        bomLed[0] = (byte) 0xEF;
        bomLed[1] = (byte) 0xBB;
        bomLed[2] = (byte) 0xBF;
        System.arraycopy(utf8, 0, bomLed, 3, utf8.length);
        List<byte[]> bodies = List.of(body.getBytes(StandardCharsets.UTF_16LE),
                body.getBytes(StandardCharsets.UTF_16BE), body.getBytes(StandardCharsets.UTF_16),
                body.getBytes(Charset.forName("UTF-32")),
                body.getBytes(Charset.forName("UTF-32LE")), bomLed);
        for (int i = 0; i < bodies.size(); i++) {
            byte[] sent = bodies.get(i);
            for (HttpRequest.BodyPublisher publisher : List.of(HttpRequest.BodyPublishers.ofByteArray(sent),
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(sent)))) {
                HttpResponse<String> refused = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/v1/developers"))
                        .header("Content-Type", "application/json").header("Authorization", "Bearer " + TOKEN)
                        .POST(publisher).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).as(i + ": " + refused.body()).isEqualTo(415);
                assertThat(JSON.readTree(refused.body()).get("type").asText()).endsWith("/unsupported-media-type");
            }
        }
        // A usage report may be longer than other bodies, but is UTF-8 as they are.
        HttpResponse<String> report = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/usage"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + USAGE_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofByteArray("{}".getBytes(StandardCharsets.UTF_16LE))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(report.statusCode()).as(report.body()).isEqualTo(415);

        Response registered = call("POST", "/v1/developers", map("name", "Utf8", "email", email));
        assertThat(registered.status()).as("no refused body registered the address: " + registered.raw())
                .isEqualTo(201);
    }

    @Test
    void aClientThatTakesNoJsonIsRefusedBeforeTheChangeIsMade() {
        Response created = createKey(registerDeveloper());
        String keyId = created.body().get("keyId").asText();

        Response rotated = send("POST", "/v1/keys/" + keyId + "/rotate", "{}", "Bearer " + TOKEN, "Accept",
                "text/plain");
        assertThat(rotated.status()).isEqualTo(406);

        // Not rotated: the old secret, whose successor no one could have read, is still the key's.
        assertThat(call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", List.of("write")),
                "If-Match", created.header("ETag")).status()).isEqualTo(200);
    }

    /** RFC 9110 12.5.1: a weight of 0 says "not acceptable", however the header spells it. */
    @Test
    void aClientThatWeighsJsonZeroIsRefusedBeforeTheChangeIsMadeAndAnUnreadableAcceptIsAProblem() {
        String developerId = registerDeveloper();
        Response created = createKey(developerId);
        String keyId = created.body().get("keyId").asText();

        for (String accept : List.of("application/json;q=0, text/html", "text/html, */*;q=0", "*/*;q=0",
                "application/*, application/json;q=0.0", "garbage", "application/json;q=2")) {
            Response rotated = send("POST", "/v1/keys/" + keyId + "/rotate", "{}", "Bearer " + TOKEN, "Accept",
                    accept);
            assertProblem(rotated, 406);
            assertThat(rotated.body().get("type").asText()).as(accept).endsWith("/not-acceptable");
            Response another = send("POST", "/v1/developers/" + developerId + "/keys",
                    json(map("name", "ci", "scopes", List.of("read"))), "Bearer " + TOKEN, "Accept", accept);
            assertProblem(another, 406);
            assertThat(another.raw()).doesNotContain("\"key\"");
        }
        // Not rotated: the key is still at the version its creation answered.
        assertThat(call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", List.of("write")),
                "If-Match", created.header("ETag")).status()).isEqualTo(200);
        for (String accept : List.of("application/json, */*;q=0", "text/html, application/json;q=0.001",
                "*/*;q=0, application/*;q=0.5")) {
            Response taken = send("POST", "/v1/developers/" + developerId + "/keys",
                    json(map("name", "ci", "scopes", List.of("read"))), "Bearer " + TOKEN, "Accept", accept);
            assertThat(taken.status()).as(accept + ": " + taken.raw()).isEqualTo(201);
        }
    }

    @Test
    void textHoldingACredentialOrControlCharactersIsRefusedAndChangesNothing() {
        String developerId = registerDeveloper();
        Response created = createKey(developerId);
        String keyId = created.body().get("keyId").asText();
        // The developer reads its keys' histories: a token in a reason or a name would reach its admin keys.
        for (String text : List.of("pasted " + TOKEN + " by mistake", "(" + USAGE_TOKEN + ")",
                "lkop_0123456789abcdef")) {
            Response refused = call("POST", "/v1/keys/" + keyId + "/revoke", map("reason", text));
            assertProblem(refused, 422);
            assertThat(refused.body().get("detail").asText())
                    .isEqualTo("reason must not hold an API key or a Latchkey token.");
            assertProblem(createKey(developerId, "name", text), 422);
        }
        assertProblem(call("POST", "/v1/developers", map("name", "Ada", "email", TOKEN + "@example.com")), 422);
        String pasted = KeyFormat.forEnvironment("live").generate();
        PASTED_KEYS.add(pasted);

        Response revoked = call("POST", "/v1/keys/" + keyId + "/revoke", map("reason", "leaked: " + pasted));
        assertProblem(revoked, 422);
        assertThat(revoked.body().get("detail").asText())
                .isEqualTo("reason must not hold an API key or a Latchkey token.");
        assertThat(revoked.raw()).doesNotContain(pasted);
        Response named = createKey(developerId, "name", "ci " + pasted.replace("_", "%5F"));
        assertProblem(named, 422);
        assertThat(named.raw()).doesNotContain(pasted);
        // Without its prefix the secret reads as plain text, and the prefix is the same for every key.
        String secret = pasted.substring(pasted.lastIndexOf('_') + 1);
        for (String bare : List.of("leaked " + secret, secret.substring(0, 43) + ".")) {
            Response bareReason = call("POST", "/v1/keys/" + keyId + "/revoke", map("reason", bare));
            assertProblem(bareReason, 422);
            assertThat(bareReason.body().get("detail").asText()).isEqualTo("reason must not hold 43 or more letters "
                    + "and digits in a row in mixed case, as a key's secret does without its prefix.");
            assertThat(bareReason.raw()).doesNotContain(secret.substring(0, 43));
            assertProblem(createKey(developerId, "name", bare), 422);
        }
        for (String plain : List.of("ci 3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6d7e8f901",
                "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")) {
            assertThat(createKey(developerId, "name", plain).status()).as("a digest in one case is no secret")
                    .isEqualTo(201);
        }
        Response escaped = call("POST", "/v1/developers", map("name", "Ada\u001b[2J", "email", "ada@example.com"));
        assertProblem(escaped, 422);
        assertThat(escaped.body().get("detail").asText()).startsWith("name must not hold control characters");
        // A right-to-left override would make the name read otherwise wherever it is shown.
        Response reversed = call("POST", "/v1/developers",
                map("name", "Ada \u202egpj.exe", "email", "ada@example.com"));
        assertProblem(reversed, 422);
        assertThat(reversed.body().get("detail").asText()).startsWith("name must not hold bidirectional controls");
        Response separated = call("POST", "/v1/developers",
                map("name", "Ada\u2028Lovelace", "email", "ada@example.com"));
        assertThat(separated.body().get("detail").asText()).startsWith("name must not hold control characters");
        Response invisible = call("POST", "/v1/developers",
                map("name", "Ada\u200BLovelace", "email", "ada@example.com"));
        assertThat(invisible.body().get("detail").asText()).startsWith("name must not hold invisible characters");
        for (String filler : List.of("\u00AD", "\u115F", "\u3164", "\uFFA0", "\u180E", "\u2063", "\uFFF9")) {
            Response hidden = call("POST", "/v1/developers", map("name", "Ada" + filler, "email", "ada@example.com"));
            assertProblem(hidden, 422);
            assertThat(hidden.body().get("detail").asText()).as(filler)
                    .startsWith("name must not hold invisible characters");
        }
        // Characters as people count them: 200 emoji are 400 UTF-16 units, and a name of 200 characters is allowed.
        assertThat(createKey(developerId, "name", "\uD83D\uDD11".repeat(200)).status()).isEqualTo(201);
        assertProblem(createKey(developerId, "name", "\uD83D\uDD11".repeat(201)), 422);

        assertThat(call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", List.of("write")),
                "If-Match", created.header("ETag")).status()).as("not revoked").isEqualTo(200);
    }

    @Test
    void aMisspeltFieldIsRefusedByNameAndChangesNothing() {
        String developerId = registerDeveloper();
        Response created = createKey(developerId);
        String keyId = created.body().get("keyId").asText();

        Response rotated = call("POST", "/v1/keys/" + keyId + "/rotate", map("gracePeriod", 86400));
        assertProblem(rotated, 400);
        assertThat(rotated.body().get("detail").asText())
                .isEqualTo("Unknown field 'gracePeriod'; the fields here are gracePeriodSeconds.");
        Response nested = createKey(developerId, "rateLimit", map("limit", 5, "period", 60));
        assertProblem(nested, 400);
        assertThat(nested.body().get("detail").asText()).startsWith("Unknown field 'rateLimit.period';");
        assertProblem(createKey(developerId, "expires_at", "2099-01-01T00:00:00Z"), 400);

        // Nothing was rotated: the next change finds the key at the version its creation left.
        assertThat(call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", List.of("write")),
                "If-Match", created.header("ETag")).status()).isEqualTo(200);
    }

    @Test
    void aFieldNamedByAKeyIsNotRepeated() {
        String pasted = KeyFormat.forEnvironment("live").generate();
        PASTED_KEYS.add(pasted);
        Response response = createKey(registerDeveloper(), pasted, 1);
        assertProblem(response, 400);
        assertThat(response.body().get("detail").asText()).startsWith("An unknown field;");
        assertThat(response.raw()).doesNotContain(pasted);
    }

    @Test
    void fractionsAndEmptyTimesAreRefusedNotRounded() {
        String developerId = registerDeveloper();
        String keyId = createKey(developerId).body().get("keyId").asText();
        Response fraction = call("POST", "/v1/keys/" + keyId + "/rotate", map("gracePeriodSeconds", 1.9));
        assertProblem(fraction, 400);
        assertThat(fraction.body().get("detail").asText()).isEqualTo("gracePeriodSeconds must be a whole number.");
        assertProblem(createKey(developerId, "expiresAt", ""), 400);
        assertProblem(call("POST", "/v1/keys/" + keyId + "/renew", map("expiresAt", "")), 400);
        Response empty = call("POST", "/v1/keys/" + keyId + "/rotate", map("gracePeriodSeconds", ""));
        assertProblem(empty, 400);
        assertThat(empty.body().get("detail").asText()).isEqualTo("gracePeriodSeconds must be a whole number.");
        Response huge = send("POST", "/v1/keys/" + keyId + "/rotate", "{\"gracePeriodSeconds\": 99999999999999999999}",
                "Bearer " + TOKEN);
        assertProblem(huge, 400);
        assertThat(huge.body().get("detail").asText()).isEqualTo("gracePeriodSeconds is out of range.");
    }

    @Test
    void aNumberSentAsTextTextAsANumberATwiceSentFieldOrASecondValueIsRefusedAndChangesNothing() {
        String developerId = registerDeveloper();
        Response created = createKey(developerId);
        String keyId = created.body().get("keyId").asText();
        String quota = "/v1/keys/" + keyId + "/quota";
        String limit = "/v1/keys/" + keyId + "/rate-limit";

        Response quoted = send("PUT", quota, "{\"requestsPerMonth\": \" 5 \"}", "Bearer " + TOKEN);
        assertProblem(quoted, 400);
        assertThat(quoted.body().get("detail").asText()).isEqualTo("requestsPerMonth must be a whole number.");
        assertProblem(call("PUT", limit, map("limit", "10", "periodSeconds", 60)), 400);
        Response named = createKey(developerId, "name", 123);
        assertProblem(named, 400);
        assertThat(named.body().get("detail").asText()).isEqualTo("name must be text.");
        assertProblem(createKey(developerId, "scopes", List.of(true)), 400);
        for (Object expiry : List.of(4_102_444_800L, "4102444800", "4102444800.5", " 2100-01-01T00:00:00Z")) {
            Response refused = createKey(developerId, "expiresAt", expiry);
            assertProblem(refused, 400);
            assertThat(refused.body().get("detail").asText()).startsWith("expiresAt must be an ISO-8601 instant");
            assertThat(refused.raw()).doesNotContain("4102444800");
        }

        Response twice = send("PUT", limit, "{\"limit\": 10, \"periodSeconds\": 60, \"limit\": 1}", "Bearer " + TOKEN);
        assertProblem(twice, 400);
        assertThat(twice.body().get("detail").asText()).isEqualTo("Field 'limit' appears more than once.");
        Response trailing = send("PUT", limit, "{\"limit\": 10, \"periodSeconds\": 60} {\"limit\": 1}",
                "Bearer " + TOKEN);
        assertProblem(trailing, 400);
        assertThat(trailing.body().get("detail").asText()).isEqualTo("The body holds more than one JSON value.");

        // Nothing changed: the key is at the version its creation left.
        assertThat(call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", List.of("write")),
                "If-Match", created.header("ETag")).status()).isEqualTo(200);
    }

    /** Half a surrogate pair is no character: it was stored as U+FFFD, not as the name the answer repeated. */
    @Test
    void textThatIsNotWellFormedUnicodeIsRefused() {
        String developerId = registerDeveloper();
        String keys = "/v1/developers/" + developerId + "/keys";
        Response lone = send("POST", keys, "{\"name\": \"lone \\ud800 surrogate\", \"scopes\": [\"read\"]}",
                "Bearer " + TOKEN);
        assertProblem(lone, 400);
        assertThat(lone.body().get("detail").asText()).isEqualTo("name must be well-formed Unicode text.");
        Response scope = send("POST", keys, "{\"name\": \"ci\", \"scopes\": [\"read\\udc00\"]}", "Bearer " + TOKEN);
        assertProblem(scope, 400);
        assertThat(scope.body().get("detail").asText()).isEqualTo("scopes[0] must be well-formed Unicode text.");
        Response paired = send("POST", keys, "{\"name\": \"ci \\ud83d\\ude80\", \"scopes\": [\"read\"]}",
                "Bearer " + TOKEN);
        assertThat(paired.status()).as(paired.raw()).isEqualTo(201);
        assertThat(paired.body().get("name").asText()).isEqualTo("ci \ud83d\ude80");
    }

    /**
     * What the service itself refuses before a controller (a wrong token) and what Tomcat refuses before the service
     * (a character a URI may not hold) are problems like every other answer: JSON without another charset, not a page.
     */
    @Test
    void refusalsBeforeTheControllersAreProblemsInUtf8() throws IOException {
        Response wrongToken = send("GET", "/v1/developers/" + UUID.randomUUID(), null, "Bearer wrong");
        assertProblem(wrongToken, 401);
        assertThat(wrongToken.header("Content-Type")).isEqualTo("application/problem+json");
        // Tomcat refuses these before any filter of ours; one holding a key must not have it logged either.
        String pasted = KeyFormat.forEnvironment("live").generate();
        PASTED_KEYS.add(pasted);
        for (String target : List.of("/v1/keys/x?k=" + pasted + "|", "/v1/keys/{" + UUID.randomUUID() + "}",
                "/v1/keys/%00")) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: command\r\nConnection: close"
                        + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).as(target).startsWith("HTTP/1.1 400")
                        .containsIgnoringCase("application/problem+json")
                        .contains("\"status\":400").doesNotContain("<html");
            }
        }
    }

    /**
     * Ignored, a parameter answered a question nobody asked: {@code rotate?gracePeriodSeconds=3600} ended the old
     * secret at once, {@code revoke?dryRun=true} revoked, and a parameter Tomcat could not read was dropped unseen.
     */
    @Test
    void aQueryParameterIsRefusedAndNothingIsDone() throws IOException {
        String keyId = createKey(registerDeveloper()).body().get("keyId").asText();
        for (String path : List.of("/rotate?gracePeriodSeconds=3600", "/revoke?dryRun=true",
                "/rotate;gracePeriodSeconds=3600", "/revoke;dryRun=true", ";x=1/revoke")) {
            Response refused = call("POST", "/v1/keys/" + keyId + path, map());
            assertProblem(refused, 400);
            assertThat(refused.body().get("type").asText()).endsWith("/unknown-parameter");
        }
        for (String query : List.of("?dryRun=%ZZ", "?dryRun=true%", "?=true")) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(("POST /v1/keys/" + keyId + "/revoke" + query + " HTTP/1.1\r\n"
                        + "Host: command\r\nConnection: close\r\nAuthorization: Bearer " + TOKEN + "\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
                        .getBytes(StandardCharsets.ISO_8859_1));
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).as(query).startsWith("HTTP/1.1 400").contains("/malformed-query");
            }
        }
        Response scoped = call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", List.of("write")));
        assertThat(scoped.status()).as("neither rotated nor revoked: " + scoped.raw()).isEqualTo(200);
        assertThat(scoped.body().get("version").asLong()).isEqualTo(1);
    }

    /** As at the edge: an empty copy of the header carries no credential; two that carry one name no single one. */
    @Test
    void anEmptyCopyOfTheAuthorizationHeaderIsLeftOut() throws IOException {
        Map<String, String> answers = Map.of("", "HTTP/1.1 201", "Bearer", "HTTP/1.1 201", "Bearer " + TOKEN + "x",
                "HTTP/1.1 401");
        for (Map.Entry<String, String> extra : answers.entrySet()) {
            String body = json(map("name", "Ada", "email", address("ada")));
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(("POST /v1/developers HTTP/1.1\r\nHost: command\r\nConnection: close"
                        + "\r\nAuthorization: Bearer " + TOKEN + "\r\nAuthorization: " + extra.getKey()
                        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.ISO_8859_1));
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).as("with a copy '" + extra.getKey() + "'").startsWith(extra.getValue());
            }
        }
    }

    /** Jackson's reader trimmed control characters, read 24:00 as the next day and a leap second as the one before. */
    @Test
    void anExpiryIsTakenOnlyAsAStrictIso8601Instant() {
        String developerId = registerDeveloper();
        String keyId = createKey(developerId).body().get("keyId").asText();
        for (String expiry : List.of("2030-01-01T00:00:00Z\u0000", "2030-01-01T00:00:00Z\u0001",
                "\u00002030-01-01T00:00:00Z", "2030-01-01T00:00:00Z ", " 2030-01-01T00:00:00Z",
                "2030-01-01T00:00:00Z\u001f", "2030-01-01T00:00:00Z\n", "2030-01-01T24:00:00Z",
                "2030-12-31T23:59:60Z", "1893456000", "2030-01-01")) {
            for (Response refused : List.of(createKey(developerId, "expiresAt", expiry),
                    call("POST", "/v1/keys/" + keyId + "/renew", map("expiresAt", expiry)))) {
                assertProblem(refused, 400);
                assertThat(refused.body().get("detail").asText()).as(expiry)
                        .isEqualTo("expiresAt must be an ISO-8601 instant such as 2030-01-01T00:00:00Z.");
            }
        }
        for (String expiry : List.of("2030-01-01T00:00:00Z", "2030-01-01T01:00:00+01:00", "2030-01-01T00:00:00.5Z")) {
            Response created = createKey(developerId, "expiresAt", expiry);
            assertThat(created.status()).as(expiry + ": " + created.raw()).isEqualTo(201);
            assertThat(Instant.parse(created.body().get("expiresAt").asText()))
                    .isEqualTo(OffsetDateTime.parse(expiry).toInstant());
        }
    }

    @Test
    void anExpiryTooFarAheadForTheStoresIsRefusedBeforeItBecomesAnEvent() {
        String developerId = registerDeveloper();
        for (String expiry : List.of("+300000000-01-01T00:00:00Z", "+10000-01-01T00:00:00Z")) {
            Response response = createKey(developerId, "expiresAt", expiry);
            assertProblem(response, 422);
            assertThat(response.body().get("type").asText()).endsWith("/expiry-too-late");
        }
        Response created = createKey(developerId, "expiresAt", "9999-12-31T23:59:59Z");
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        String keyId = created.body().get("keyId").asText();
        Response renewed = call("POST", "/v1/keys/" + keyId + "/renew", map("expiresAt", "+10000-01-01T00:00:00Z"));
        assertProblem(renewed, 422);
        assertThat(renewed.body().get("type").asText()).endsWith("/expiry-too-late");
        assertThat(call("POST", "/v1/keys/" + keyId + "/renew", map("expiresAt", "2099-01-01T00:00:00Z"),
                "If-Match", created.header("ETag")).status()).isEqualTo(200);
    }

    @Test
    void everyRequestHasAnIdOfItsOwnAndAClientsIdIsKeptBesideItUnlessItHoldsACredential() throws IOException {
        Response first = call("POST", "/v1/developers", map("name", "Ada", "email", address("ada")),
                "X-Request-Id", "trace-42");
        Response again = call("POST", "/v1/developers", map("name", "Ada", "email", address("ada")),
                "X-Request-Id", "trace-42");
        assertThat(first.status()).isEqualTo(201);
        assertThat(first.header("X-Request-Id")).matches("[0-9a-f-]{36}").isNotEqualTo(again.header("X-Request-Id"));
        JsonNode recorded = metaDataOfFirstEvent(first.body().get("developerId").asText());
        assertThat(recorded.path("requestId").asText()).isEqualTo(first.header("X-Request-Id"));
        assertThat(recorded.path("clientRequestId").asText()).isEqualTo("trace-42");
        assertThat(metaDataOfFirstEvent(again.body().get("developerId").asText()).path("requestId").asText())
                .isEqualTo(again.header("X-Request-Id"));

        String pasted = KeyFormat.forEnvironment("live").generate();
        PASTED_KEYS.add(pasted);
        for (String credential : List.of(pasted, TOKEN, "trace:" + USAGE_TOKEN)) {
            Response sent = call("POST", "/v1/developers", map("name", "Ada", "email", address("ada")),
                    "X-Request-Id", credential);
            assertThat(sent.status()).isEqualTo(201);
            assertThat(sent.header("X-Request-Id")).matches("[0-9a-f-]{36}");
            assertThat(metaDataOfFirstEvent(sent.body().get("developerId").asText()).has("clientRequestId")).isFalse();
        }
        assertThat(storedDocuments()).noneMatch(document -> document.contains(pasted) || document.contains(TOKEN)
                || document.contains(USAGE_TOKEN));
    }

    /** The metadata of the first event stored for an aggregate. */
    private static JsonNode metaDataOfFirstEvent(String aggregateId) throws IOException {
        try (MongoClient mongo = MongoClients.create("mongodb://127.0.0.1:" + STORE_PORT)) {
            Document event = mongo.getDatabase("latchkey").getCollection("domainevents")
                    .find(new Document("aggregateIdentifier", aggregateId).append("sequenceNumber", 0L)).first();
            assertThat(event).as("the first event of " + aggregateId).isNotNull();
            return JSON.readTree(metaDataJson(event.get("serializedMetaData")));
        }
    }

    @Test
    void missingBodyIsABadRequest() {
        String keyId = createKey(registerDeveloper()).body().get("keyId").asText();
        assertProblem(call("POST", "/v1/keys/" + keyId + "/renew", null), 400);
    }

    /** A renewal names its expiry: an instant, or null for none; an empty body is refused rather than read as null. */
    @Test
    void aRenewalWithANullExpiryRemovesItAndOneWithoutTheFieldIsRefused() {
        String keyId = createKey(registerDeveloper(), "expiresAt", "2099-01-01T00:00:00Z").body().get("keyId").asText();
        Response missing = call("POST", "/v1/keys/" + keyId + "/renew", Map.of());
        assertProblem(missing, 422);
        assertThat(missing.body().get("detail").asText()).contains("null for a key that never expires");
        Response renewed = call("POST", "/v1/keys/" + keyId + "/renew", map("expiresAt", null));
        assertThat(renewed.status()).as(renewed.raw()).isEqualTo(200);
        assertThat(renewed.body().get("expiresAt").isNull()).as(renewed.raw()).isTrue();
        assertThat(renewed.body().get("version").asLong()).isEqualTo(1);
    }

    @Test
    void missingRequiredFieldsAreInvalid() {
        assertProblem(call("POST", "/v1/developers", map("email", "ada@example.com")), 422);
        String developerId = registerDeveloper();
        assertProblem(call("POST", "/v1/developers/" + developerId + "/keys", map("name", "ci")), 422);
        String keyId = createKey(developerId).body().get("keyId").asText();
        assertProblem(call("POST", "/v1/keys/" + keyId + "/renew", map()), 422);
        assertProblem(call("PUT", "/v1/keys/" + keyId + "/rate-limit", map("limit", 5)), 422);
    }

    @Test
    void implausibleDeveloperDetailsAreInvalid() {
        assertProblem(call("POST", "/v1/developers", map("name", "  ", "email", "ada@example.com")), 422);
        assertProblem(call("POST", "/v1/developers", map("name", "x".repeat(201), "email", "ada@example.com")), 422);
        assertProblem(call("POST", "/v1/developers", map("name", "Ada", "email", "not-an-address")), 422);
        for (String markup : List.of("<script>alert(1)</script>@x.y", "a@-b.c", "a@b-.c", "a..b@x.y", ".a@x.y",
                "a@x..y", "\"a b\"@x.y", "a@x")) {
            assertProblem(call("POST", "/v1/developers", map("name", "Ada", "email", markup)), 422);
        }
        for (String address : List.of("ada.lovelace+keys@example.co.uk", "o'brien@example.com", "josé@exämple.de",
                "a_b-c@x-y.example")) {
            assertThat(call("POST", "/v1/developers", map("name", "Ada", "email", address)).status()).as(address)
                    .isEqualTo(201);
        }
        assertProblem(call("POST", "/v1/developers", map("name", "Ada",
                "email", "a".repeat(250) + "@example.com")), 422);
    }

    /** Spaces, joiners, marks with nothing to sit on and blanks each show nothing: a name must show something. */
    @Test
    void aNameThatShowsNothingIsRefusedAndNamesInEveryScriptAreTaken() {
        String developerId = registerDeveloper();
        for (String name : List.of("\u00A0", "\u2007", "\u202F", "\u2800", "\u034F", "\u17B5", "\uFE0F",
                "\u200C", "\u200D\u200D", "\u00A0\u0301\uFE0F\u200D", "\uDB40\uDD00", "\u2800\u2800")) {
            Response developer = call("POST", "/v1/developers", map("name", name, "email", address("blank")));
            assertProblem(developer, 422);
            assertThat(developer.body().get("detail").asText()).as(name)
                    .isEqualTo("name must hold at least one visible character.");
            Response key = createKey(developerId, "name", name);
            assertProblem(key, 422);
            assertThat(key.body().get("detail").asText()).as(name)
                    .isEqualTo("name must hold at least one visible character.");
        }
        for (String name : List.of("देवनागरी", "नमस्ते", "👩\u200D💻", "مرحبا بالعالم", "Zoe\u0308",
                "ฉันชื่อ", "한국어", "Ada\u00A0Lovelace", "❤\uFE0F", "·")) {
            Response developer = call("POST", "/v1/developers", map("name", name, "email", address("named")));
            assertThat(developer.status()).as(name + ": " + developer.raw()).isEqualTo(201);
            assertThat(developer.body().get("name").asText()).isEqualTo(name);
            Response key = createKey(developerId, "name", name);
            assertThat(key.status()).as(name + ": " + key.raw()).isEqualTo(201);
        }
    }

    /**
     * Claims are keyed by the address as sent, in any case: one in a compatibility form (fullwidth letters, a
     * ligature) would claim again an address that reads as one already claimed.
     */
    @Test
    void anAddressThatUnicodeNormalisationWouldChangeIsRefused() {
        String plain = address("pool1");
        String developerId = call("POST", "/v1/developers", map("name", "Pool", "email", plain)).body()
                .get("developerId").asText();
        String local = plain.substring(0, plain.indexOf('@'));
        for (String email : List.of(local + "@ｅｘａｍｐｌｅ.com", local + "@example．com", "ｐｏｏｌ@example.com",
                "o\uFB03ce@example.com", "jose\u0301@example.com", "x\u00B2@example.com")) {
            Response registered = call("POST", "/v1/developers", map("name", "Pool", "email", email));
            assertProblem(registered, 422);
            assertThat(registered.body().get("detail").asText()).as(email).contains("plain form");
            assertProblem(call("PUT", "/v1/developers/" + developerId, map("name", "Pool", "email", email)), 422);
        }
        assertThat(call("POST", "/v1/developers", map("name", "José", "email", address("jos\u00E9"))).status())
                .as("an accent composed is the plain form").isEqualTo(201);
        // Scripts that write vowels with marks have no composed form: their addresses are plain as they are.
        for (String marked : List.of("नमस्ते", "สวัสดี")) {
            Response registered = call("POST", "/v1/developers", map("name", marked, "email", address(marked)));
            assertThat(registered.status()).as(marked + ": " + registered.raw()).isEqualTo(201);
        }
    }

    /**
     * A command that fails drops its key from the cache: a key with a long history must load from a snapshot, with
     * its state as its events left it, or every refused command on it reads the whole stream again.
     */
    @Test
    void aKeyWithALongHistoryLoadsFromItsSnapshotWithItsStateIntact() {
        Instant expiresAt = Instant.now().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.MILLIS);
        Response created = createKey(registerDeveloper(), "expiresAt", expiresAt.toString(), "quota",
                map("requestsPerMonth", 5_000));
        String keyId = created.body().get("keyId").asText();
        String first = created.body().get("key").asText();
        assertThat(call("PUT", "/v1/keys/" + keyId + "/rate-limit", map("limit", 10, "periodSeconds", 60)).status())
                .isEqualTo(200);
        Response rotated = call("POST", "/v1/keys/" + keyId + "/rotate", map("gracePeriodSeconds", 3_600));
        Instant graceEnds = Instant.parse(rotated.body().get("previousKeyValidUntil").asText());
        String current = rotated.body().get("key").asText();
        List<String> last = List.of("read");
        for (int i = 0; i < 230; i++) {
            last = List.of(i % 2 == 0 ? "write" : "read");
            Response changed = call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", last));
            assertThat(changed.status()).as(changed.raw()).isEqualTo(200);
        }

        Object snapshot = eventStore.readEvents(keyId).asStream().findFirst().orElseThrow().getPayload();
        assertThat(snapshot).isInstanceOf(ApiKey.class)
                .extracting("secretHash", "retiredSecrets", "expiresAt", "rateLimit", "monthlyQuota", "status")
                .containsExactly(keyHasher.hash(current).hex(), Map.of(keyHasher.hash(first).hex(), graceEnds),
                        expiresAt, new RateLimit(10, 60, null), 5_000L, KeyStatus.ACTIVE);
        apiKeyCache.removeAll();
        long version = call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", last)).body().get("version")
                .asLong();
        assertThat(call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", last)).body().get("version").asLong())
                .as("the same scopes change nothing").isEqualTo(version);
        assertThat(call("POST", "/v1/keys/" + keyId + "/revoke", null).status()).isEqualTo(200);
        apiKeyCache.removeAll();
        assertProblem(call("POST", "/v1/keys/" + keyId + "/revoke", null), 409);
    }

    @Test
    void unknownScopeIsInvalidAndNotEchoed() {
        String developerId = registerDeveloper();
        String pasted = KeyFormat.forEnvironment("live").generate();
        Response response = createKey(developerId, "scopes", List.of("read", pasted));
        assertProblem(response, 422);
        assertThat(response.raw()).doesNotContain(pasted);
        assertProblem(createKey(developerId, "scopes", List.of("delete")), 422);
        assertProblem(createKey(developerId, "scopes", List.of()), 422);
    }

    @Test
    void expiryInThePastIsInvalid() {
        String developerId = registerDeveloper();
        Response response = createKey(developerId, "expiresAt", "2020-01-01T00:00:00Z");
        assertProblem(response, 422);
        assertThat(response.body().get("type").asText()).endsWith("/expiry-in-past");
        String keyId = createKey(developerId).body().get("keyId").asText();
        assertProblem(call("POST", "/v1/keys/" + keyId + "/renew", map("expiresAt", "2020-01-01T00:00:00Z")), 422);
    }

    @Test
    void invalidRateLimitIsInvalid() {
        String developerId = registerDeveloper();
        assertProblem(createKey(developerId, "rateLimit", map("limit", 0, "periodSeconds", 60)), 422);
        String keyId = createKey(developerId).body().get("keyId").asText();
        assertProblem(call("PUT", "/v1/keys/" + keyId + "/rate-limit",
                map("limit", 10, "periodSeconds", 60, "burst", 5)), 422);
        // Past what a bucket's arithmetic (and the RateLimit header's) holds exactly.
        Response huge = call("PUT", "/v1/keys/" + keyId + "/rate-limit",
                map("limit", 9_000_000_000_000_000_000L, "periodSeconds", 1));
        assertProblem(huge, 422);
        assertThat(huge.body().get("detail").asText()).isEqualTo("limit must be between 1 and 1000000000.");
        assertProblem(call("PUT", "/v1/developers/" + developerId + "/rate-limit",
                map("limit", 10, "periodSeconds", 60, "burst", 1_000_000_001)), 422);
    }

    @Test
    void gracePeriodOutOfRangeIsInvalid() {
        String keyId = createKey(registerDeveloper()).body().get("keyId").asText();
        assertProblem(call("POST", "/v1/keys/" + keyId + "/rotate", map("gracePeriodSeconds", 2_592_001)), 422);
        assertProblem(call("POST", "/v1/keys/" + keyId + "/rotate", map("gracePeriodSeconds", -1)), 422);
    }

    @Test
    void overlongRevocationReasonIsInvalid() {
        String keyId = createKey(registerDeveloper()).body().get("keyId").asText();
        assertProblem(call("POST", "/v1/keys/" + keyId + "/revoke", map("reason", "x".repeat(501))), 422);
    }

    @Test
    void unknownDeveloperIsNotFound() {
        Response unknown = createKey(UNKNOWN_ID);
        assertProblem(unknown, 404);
        assertProblem(createKey("not-a-uuid"), 404);
        assertThat(unknown.body().get("detail").asText()).isEqualTo("No such developer.");
    }

    @Test
    void unknownKeyIsNotFound() {
        for (String id : List.of(UNKNOWN_ID, "not-a-uuid")) {
            assertProblem(call("POST", "/v1/keys/" + id + "/revoke", null), 404);
            assertProblem(call("POST", "/v1/keys/" + id + "/rotate", null), 404);
            assertProblem(call("PUT", "/v1/keys/" + id + "/scopes", map("scopes", List.of("read"))), 404);
            assertProblem(call("POST", "/v1/keys/" + id + "/renew", map("expiresAt", "2099-01-01T00:00:00Z")), 404);
            assertProblem(call("PUT", "/v1/keys/" + id + "/rate-limit", map("limit", 1, "periodSeconds", 1)), 404);
        }
    }

    @Test
    void aKeyIdIsNoDeveloperIdAndADeveloperIdIsNoKeyId() {
        String developerId = registerDeveloper();
        String keyId = createKey(developerId).body().get("keyId").asText();
        Response keyAsDeveloper = createKey(keyId);
        assertProblem(keyAsDeveloper, 404);
        assertThat(keyAsDeveloper.body().get("detail").asText()).isEqualTo("No such developer.");
        assertProblem(call("POST", "/v1/keys/" + developerId + "/revoke", null), 404);
        assertProblem(call("POST", "/v1/keys/" + developerId + "/rotate", null), 404);
        assertProblem(call("PUT", "/v1/keys/" + developerId + "/scopes", map("scopes", List.of("read"))), 404);
        assertProblem(call("POST", "/v1/keys/" + developerId + "/renew", map("expiresAt", "2099-01-01T00:00:00Z")), 404);
        assertProblem(call("PUT", "/v1/keys/" + developerId + "/rate-limit", map("limit", 1, "periodSeconds", 1)), 404);
    }

    /** The last use the latest usage event of {@code keyId} recorded. */
    private Instant recordedLastUse(String keyId) {
        List<Instant> lastUses = new ArrayList<>();
        eventStore.readEvents(KeyUsage.idOf(keyId), 0).asStream()
                .filter(event -> event.getPayload() instanceof ApiKeyUsageRecordedEvent)
                .forEach(event -> lastUses.add(((ApiKeyUsageRecordedEvent) event.getPayload()).lastUsedAt()));
        return lastUses.get(lastUses.size() - 1);
    }

    /** A well-formed key sent where none belongs: the store must never hold it. */
    private static String pastedKey() {
        String pasted = KeyFormat.forEnvironment("live").generate();
        PASTED_KEYS.add(pasted);
        return pasted;
    }

    private static Map<String, Object> usage(String edgeId, long sequence, String keyId, String minute,
                                             Object outcome, Object count) {
        return map("edgeId", edgeId, "batchSequence", sequence, "keys", List.of(map("keyId", keyId,
                "lastUsedAt", minute, "counts", List.of(map("minute", minute, "endpoint", "/orders",
                        "outcome", outcome, "count", count)))));
    }

    @Test
    void theUsageTokenReportsUsageAndOpensNothingElse() {
        String developerId = registerDeveloper();
        String keyId = createKey(developerId).body().get("keyId").asText();
        String minute = Instant.now().truncatedTo(ChronoUnit.MINUTES).toString();

        Response reported = send("POST", "/v1/usage", json(usage("edge-u", 1, keyId, minute, "valid", 3)),
                "Bearer " + USAGE_TOKEN);
        assertThat(reported.status()).as(reported.raw()).isEqualTo(200);
        assertThat(reported.body().get("recorded").asInt()).isEqualTo(1);

        assertProblem(send("POST", "/v1/developers", json(map("name", "Eve", "email", "eve@example.com")),
                "Bearer " + USAGE_TOKEN), 401);
        assertProblem(send("POST", "/v1/keys/" + keyId + "/revoke", "{}", "Bearer " + USAGE_TOKEN), 401);
        assertProblem(send("PUT", "/v1/keys/" + keyId + "/rate-limit", json(map("limit", 1, "periodSeconds", 1)),
                "Bearer " + USAGE_TOKEN), 401);
        assertThat(call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", List.of("write")), "If-Match", "\"0\"")
                .status()).as("not revoked").isEqualTo(200);
    }

    @Test
    void aBodyLongerThanManagementCallsNeedIsRefused413WithoutBeingRead() throws Exception {
        String developerId = registerDeveloper();
        String keyId = createKey(developerId).body().get("keyId").asText();
        String scopes = json(map("scopes", Collections.nCopies(20_000, "orders:read")));
        assertThat(scopes.length()).isGreaterThan(64 * 1024);

        Response stated = send("PUT", "/v1/keys/" + keyId + "/scopes", scopes, "Bearer " + TOKEN);
        assertProblem(stated, 413);
        assertThat(stated.body().get("type").asText()).endsWith("/body-too-large");

        // Sent in chunks, the body states no length: it is cut off as it is read.
        HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/keys/" + keyId + "/scopes"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(scopes.getBytes(StandardCharsets.UTF_8))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).as(chunked.body()).isEqualTo(413);
        assertThat(JSON.readTree(chunked.body()).get("type").asText()).endsWith("/body-too-large");

        // A form is read by the container, not through the body's limit: refused, short or long, before it is read.
        for (String form : List.of("scopes=orders:read", "scopes=" + "orders:read,".repeat(20_000))) {
            Response asForm = send("PUT", "/v1/keys/" + keyId + "/scopes", form, "Bearer " + TOKEN,
                    "Content-Type", "application/x-www-form-urlencoded; charset=UTF-8");
            assertProblem(asForm, 415);
            assertThat(asForm.body().get("type").asText()).endsWith("/unsupported-media-type");
        }
        HttpResponse<String> chunkedForm = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/keys/" + keyId + "/scopes"))
                .header("Content-Type", "multipart/form-data; boundary=x").header("Authorization", "Bearer " + TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(
                        "--x\r\nContent-Disposition: form-data; name=\"scopes\"\r\n\r\nwrite\r\n--x--\r\n"
                                .getBytes(StandardCharsets.UTF_8))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chunkedForm.statusCode()).as(chunkedForm.body()).isEqualTo(415);
        assertThat(chunkedForm.body()).contains("/unsupported-media-type");

        assertThat(call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", List.of("write")), "If-Match", "\"0\"")
                .status()).as("no refused body changed the key").isEqualTo(200);
    }

    @Test
    void aCommandPathMadePublicStillSendsNoCommandWithoutACredential() {
        Response anonymous = send("POST", PUBLIC_REVOKE, "{}", null);
        assertProblem(anonymous, 401);
        assertThat(call("POST", PUBLIC_REVOKE, map("reason", "x")).status()).as("the operator reaches the command")
                .isEqualTo(404);
    }

    @Test
    void aUsageReportMayBeLongerThanAManagementBody() {
        String keyId = createKey(registerDeveloper()).body().get("keyId").asText();
        String minute = Instant.now().truncatedTo(ChronoUnit.MINUTES).toString();
        List<Map<String, Object>> counts = new ArrayList<>();
        for (int i = 0; i < 1_500; i++) {
            counts.add(map("minute", minute, "endpoint", "/orders/page-" + i, "outcome", "valid", "count", 1));
        }
        String report = json(map("edgeId", "edge-long", "batchSequence", 1, "keys",
                List.of(map("keyId", keyId, "lastUsedAt", minute, "counts", counts))));
        assertThat(report.length()).isGreaterThan(64 * 1024);

        Response reported = send("POST", "/v1/usage", report, "Bearer " + USAGE_TOKEN);
        assertThat(reported.status()).as(reported.raw()).isEqualTo(200);
        assertThat(reported.body().get("recorded").asInt()).isEqualTo(1);
    }

    @Test
    void aReportThatFindsAStreamLockedTooLongIsAnswered503AndRecordedWhenSentAgain() {
        String keyId = createKey(registerDeveloper()).body().get("keyId").asText();
        String minute = Instant.now().truncatedTo(ChronoUnit.MINUTES).toString();
        Map<String, Object> report = usage("edge-busy", 1, keyId, minute, "valid", 3);
        RuntimeException usual = usageFailure;
        usageFailure = new LockAcquisitionFailedException("injected: the usage stream stayed locked");
        failingUsageKey = keyId;
        Response busy;
        try {
            busy = call("POST", "/v1/usage", report);
        } finally {
            failingUsageKey = null;
            usageFailure = usual;
        }
        assertProblem(busy, 503);
        assertThat(busy.header("Retry-After")).isEqualTo("1");
        assertThat(busy.body().get("type").asText()).endsWith("/busy");
        assertThat(call("POST", "/v1/usage", report).body().get("recorded").asInt()).isEqualTo(1);
    }

    @Test
    void anEdgesUsageReportIsRecordedOnceABadOneRecordsNothingAndABadKeyEntryIsRefusedAloneWithItsReason() {
        String keyId = createKey(registerDeveloper()).body().get("keyId").asText();
        String minute = Instant.now().truncatedTo(ChronoUnit.MINUTES).toString();
        Map<String, Object> report = usage("edge-1", 1, keyId, minute, "valid", 3);
        List<Object> keys = new ArrayList<>((List<?>) report.get("keys"));
        keys.add(map("keyId", "unknown", "lastUsedAt", minute, "counts",
                List.of(map("minute", minute, "endpoint", "*", "outcome", "not_found", "count", 2))));
        report.put("keys", keys);

        Response first = call("POST", "/v1/usage", report);
        Response again = call("POST", "/v1/usage", report);

        assertThat(first.status()).as(first.raw()).isEqualTo(200);
        assertThat(first.body().get("recorded").asInt()).isEqualTo(2);
        assertThat(again.body().get("recorded").asInt()).isZero();
        assertThat(again.body().get("duplicates").asInt()).isEqualTo(2);
        assertThat(call("POST", "/v1/usage", usage("edge-1", 2, keyId, minute, "valid", 1)).body().get("recorded")
                .asInt()).isEqualTo(1);

        // A bad report: nothing in it is recorded.
        assertProblem(call("POST", "/v1/usage", usage("edge 1", 3, keyId, minute, "valid", 1)), 422);
        assertProblem(call("POST", "/v1/usage", usage("edge-1", 0, keyId, minute, "valid", 1)), 422);
        assertProblem(call("POST", "/v1/usage", map("edgeId", "edge-1", "batchSequence", 3, "keys", List.of())), 422);
        assertProblem(send("POST", "/v1/usage", json(usage("edge-1", 3, keyId, minute, "valid", 1)), null), 401);

        // A bad key entry: refused alone, each of these a report of that entry only, and the answer says why.
        Map<String, Map<String, Object>> badEntries = new LinkedHashMap<>();
        badEntries.put("invalid-key-id", usage("edge-1", 3, "nope", minute, "valid", 1));
        badEntries.put("invalid-minute",
                usage("edge-1", 3, keyId, Instant.parse(minute).plusSeconds(1).toString(), "valid", 1));
        badEntries.put("invalid-outcome", usage("edge-1", 3, keyId, minute, "Valid!", 1));
        badEntries.put("invalid-count", usage("edge-1", 3, keyId, minute, "valid", 0));
        badEntries.put("invalid-last-used-at", usage("edge-1", 3, keyId, "+10000-01-01T00:00:00Z", "valid", 1));
        // A minute an hour ahead: the edge's clock is wrong.
        badEntries.put("minute-out-of-range", map("edgeId", "edge-1", "batchSequence", 3, "keys", List.of(map("keyId",
                keyId, "lastUsedAt", minute, "counts", List.of(map("minute",
                        Instant.parse(minute).plus(Duration.ofHours(1)).toString(), "endpoint", "/orders", "outcome",
                        "valid", "count", 1))))));
        badEntries.put("no-entry",
                map("edgeId", "edge-1", "batchSequence", 3, "keys", Collections.singletonList(null)));
        badEntries.forEach((reason, bad) -> {
            Response refused = call("POST", "/v1/usage", bad);
            assertThat(refused.status()).as(refused.raw()).isEqualTo(200);
            assertThat(refused.body().get("refused").asInt()).as(refused.raw()).isEqualTo(1);
            assertThat(refused.body().get("recorded").asInt()).isZero();
            JsonNode entry = refused.body().at("/refusedEntries/0");
            assertThat(entry.get("reason").asText()).as(refused.raw()).isEqualTo(reason);
            assertThat(entry.get("index").asInt()).isZero();
            // The key id only where it is one: the entry's text is the reporter's.
            assertThat(entry.get("keyId").isNull()).as(refused.raw())
                    .isEqualTo(reason.equals("invalid-key-id") || reason.equals("no-entry"));
        });
        // An endpoint holding a key or a token is counted, not kept: the event would hold it for good. Not refused
        // either, or one request to such a URL would drop every count of the key in the report.
        long sequence = 1;
        // A key's secret without its prefix too (storeNeverHoldsAPlaintextKey looks for it in every stored document).
        String secret = pastedKey();
        for (String endpoint : List.of("/p/" + pastedKey(), "/p/" + TOKEN, "/x/lkop_",
                "/p/" + secret.substring(secret.lastIndexOf('_') + 1))) {
            Response withheld = call("POST", "/v1/usage", map("edgeId", "edge-w", "batchSequence", sequence++, "keys",
                    List.of(map("keyId", keyId, "lastUsedAt", minute, "counts", List.of(
                            map("minute", minute, "endpoint", endpoint, "outcome", "valid", "count", 2),
                            map("minute", minute, "endpoint", "/orders", "outcome", "valid", "count", 1))))));
            assertThat(withheld.body().get("recorded").asInt()).as(withheld.raw()).isEqualTo(1);
        }
        assertProblem(call("POST", "/v1/usage", usage(pastedKey(), 1, keyId, minute, "valid", 1)), 422);
        String bare = pastedKey();
        assertProblem(call("POST", "/v1/usage", usage(bare.substring(bare.lastIndexOf('_') + 1), 1, keyId, minute,
                "valid", 1)), 422);
        String skewed = Instant.parse(minute).plus(Duration.ofMinutes(2)).toString();
        assertThat(call("POST", "/v1/usage", usage("edge-1", 3, keyId, skewed, "valid", 1)).body().get("recorded")
                .asInt()).as("an edge's clock two minutes ahead").isEqualTo(1);
        // A last use an hour ahead, with counts of a right minute: the counts are recorded, the last use taken as the
        // latest a minute may be.
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Response ahead = call("POST", "/v1/usage", map("edgeId", "edge-1", "batchSequence", 4, "keys", List.of(map(
                "keyId", keyId, "lastUsedAt", Instant.parse(minute).plus(Duration.ofHours(1)).toString(), "counts",
                List.of(map("minute", minute, "endpoint", "/orders", "outcome", "valid", "count", 1))))));
        assertThat(ahead.body().get("recorded").asInt()).as(ahead.raw()).isEqualTo(1);
        assertThat(recordedLastUse(keyId)).isBetween(before.plus(Duration.ofMinutes(5)),
                Instant.now().plus(Duration.ofMinutes(5)));

        // Beside a good one, in one report: the good key is recorded, once, and the bad entry is refused each time.
        String other = createKey(registerDeveloper()).body().get("keyId").asText();
        Map<String, Object> mixed = usage("edge-1", 4, other, minute, "valid", 5);
        List<Object> mixedKeys = new ArrayList<>((List<?>) mixed.get("keys"));
        mixedKeys.add(map("keyId", keyId, "lastUsedAt", minute, "counts",
                List.of(map("minute", minute, "endpoint", "/orders\t", "outcome", "valid", "count", 1))));
        mixedKeys.add(map("keyId", other, "lastUsedAt", minute, "counts",
                List.of(map("minute", minute, "endpoint", "/orders", "outcome", "valid", "count", 1))));
        mixed.put("keys", mixedKeys);
        Response taken = call("POST", "/v1/usage", mixed);
        assertThat(taken.status()).as(taken.raw()).isEqualTo(200);
        assertThat(taken.body().get("recorded").asInt()).as("the good key").isEqualTo(1);
        assertThat(taken.body().get("refused").asInt()).as("the control character, the repeated key").isEqualTo(2);
        assertThat(taken.body().get("refusedEntries")).map(entry -> entry.get("index").asInt() + " "
                + entry.get("keyId").asText() + " " + entry.get("reason").asText())
                .containsExactly("1 " + keyId + " invalid-endpoint", "2 " + other + " repeated-key");
        Response resent = call("POST", "/v1/usage", mixed);
        assertThat(resent.body().get("duplicates").asInt()).isEqualTo(1);
        assertThat(resent.body().get("refused").asInt()).isEqualTo(2);

        // A key's first valid entry is the one kept, whatever came before it.
        Map<String, Object> badThenGood = usage("edge-1", 5, keyId, minute, "valid", 0);
        List<Object> twice = new ArrayList<>((List<?>) badThenGood.get("keys"));
        twice.add(map("keyId", keyId, "lastUsedAt", minute, "counts",
                List.of(map("minute", minute, "endpoint", "/orders", "outcome", "valid", "count", 2))));
        badThenGood.put("keys", twice);
        Response kept = call("POST", "/v1/usage", badThenGood);
        assertThat(kept.body().get("recorded").asInt()).as(kept.raw()).isEqualTo(1);
        assertThat(kept.body().get("refused").asInt()).isEqualTo(1);
    }

    @Test
    void aKeyEntryWithAnOutcomeNotNamedAsOneOrAMinuteNoEdgeStillHoldsIsRefusedAloneAndNeverRecorded() {
        String keyId = createKey(registerDeveloper()).body().get("keyId").asText();
        String other = createKey(registerDeveloper()).body().get("keyId").asText();
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        List<Map<String, Object>> badCounts = List.of(
                map("minute", minute.toString(), "endpoint", "/orders", "outcome", "Bogus Outcome!", "count", 1),
                map("minute", "1970-01-01T00:00:00Z", "endpoint", "/orders", "outcome", "valid", "count", 1),
                map("minute", minute.minus(Duration.ofHours(4)).toString(), "endpoint", "/orders", "outcome", "valid",
                        "count", 1));
        long sequence = 1;
        for (Map<String, Object> bad : badCounts) {
            // Beside a good count of the same key, and a good key: the bad entry alone is refused, and said to be.
            Response taken = call("POST", "/v1/usage", map("edgeId", "edge-odd", "batchSequence", sequence++, "keys",
                    List.of(map("keyId", keyId, "lastUsedAt", minute.toString(), "counts", List.of(bad,
                                    map("minute", minute.toString(), "endpoint", "/orders", "outcome", "valid",
                                            "count", 1))),
                            map("keyId", other, "lastUsedAt", minute.toString(), "counts", List.of(map("minute",
                                    minute.toString(), "endpoint", "/orders", "outcome", "valid", "count", 1))))));
            assertThat(taken.status()).as(taken.raw()).isEqualTo(200);
            assertThat(taken.body().get("recorded").asInt()).as(bad.toString()).isEqualTo(1);
            assertThat(taken.body().get("refused").asInt()).as(bad.toString()).isEqualTo(1);
        }
        assertThat(eventStore.readEvents(KeyUsage.idOf(keyId), 0).asStream()).as("the key's usage stream").isEmpty();

        // Every outcome an edge counts, of a minute an edge may still be sending two hours on.
        List<Object> counts = new ArrayList<>();
        List<String> outcomes = new ArrayList<>(List.of("key_in_query", "key_in_path", "ambiguous_credentials",
                "invalid_required_scope", "unavailable", "other"));
        for (Decision.Status status : Decision.Status.values()) {
            outcomes.add(status.usageName());
        }
        outcomes.add(Decision.VALID_PREVIOUS_SECRET);
        for (String outcome : outcomes) {
            counts.add(map("minute", minute.minus(Duration.ofHours(2)).toString(), "endpoint", "/orders", "outcome",
                    outcome, "count", 1));
        }
        Response edges = call("POST", "/v1/usage", map("edgeId", "edge-odd", "batchSequence", sequence++, "keys",
                List.of(map("keyId", keyId, "lastUsedAt", minute.toString(), "counts", counts))));
        assertThat(edges.body().get("recorded").asInt()).as(edges.raw()).isEqualTo(1);
        assertThat(eventStore.readEvents(KeyUsage.idOf(keyId), 0).asStream()
                .map(event -> (ApiKeyUsageRecordedEvent) event.getPayload())
                .flatMap(event -> event.counts().stream()).map(UsageCount::outcome))
                .as("each kept as sent").containsExactlyInAnyOrderElementsOf(outcomes);

        // One no edge of this release counts (a later release's, an embedding application's own) is kept as other.
        Response later = call("POST", "/v1/usage", map("edgeId", "edge-odd", "batchSequence", sequence, "keys",
                List.of(map("keyId", other, "lastUsedAt", minute.toString(), "counts", List.of(map("minute",
                        minute.toString(), "endpoint", "/orders", "outcome", "bogus", "count", 3))))));
        assertThat(later.body().get("recorded").asInt()).as(later.raw()).isEqualTo(1);
        assertThat(eventStore.readEvents(KeyUsage.idOf(other), 0).asStream()
                .map(event -> (ApiKeyUsageRecordedEvent) event.getPayload())
                .flatMap(event -> event.counts().stream()).filter(count -> count.count() == 3)
                .map(UsageCount::outcome)).containsExactly("other");
    }

    @Test
    void aReportFromAnEdgeOfALaterReleaseIsRecordedDespiteFieldsThisOneDoesNotKnow() {
        String keyId = createKey(registerDeveloper()).body().get("keyId").asText();
        String minute = Instant.now().truncatedTo(ChronoUnit.MINUTES).toString();
        Map<String, Object> report = map("edgeId", "edge-later", "batchSequence", 1, "region", "eu",
                "keys", List.of(map("keyId", keyId, "lastUsedAt", minute, "tier", "gold", "counts",
                        List.of(map("minute", minute, "endpoint", "/orders", "outcome", "valid", "count", 2,
                                "method", "GET")))));
        Response response = call("POST", "/v1/usage", report);
        assertThat(response.status()).as(response.raw()).isEqualTo(200);
        assertThat(response.body().get("recorded").asInt()).isEqualTo(1);
    }

    @Test
    void aReportOfMoreKeysThanOneUnitOfWorkRecordsEveryKeyOnce() {
        // 500 keys to a unit of work (UsageController.KEYS_PER_UNIT), each with its own commit: three here.
        String minute = Instant.now().truncatedTo(ChronoUnit.MINUTES).toString();
        List<Object> keys = new ArrayList<>();
        for (int i = 0; i < 1_007; i++) {
            keys.add(map("keyId", UUID.randomUUID().toString(), "lastUsedAt", minute, "counts",
                    List.of(map("minute", minute, "endpoint", "/orders", "outcome", "valid", "count", 1))));
        }
        Map<String, Object> report = map("edgeId", "edge-big", "batchSequence", 1, "keys", keys);

        USAGE_UNITS.clear();
        Response first = call("POST", "/v1/usage", report);
        List<Integer> parts = new ArrayList<>();
        synchronized (USAGE_UNITS) {
            for (int i = 0; i < USAGE_UNITS.size(); i++) {
                if (i == 0 || USAGE_UNITS.get(i) != USAGE_UNITS.get(i - 1)) {
                    parts.add(0);
                }
                parts.set(parts.size() - 1, parts.get(parts.size() - 1) + 1);
            }
        }
        Response again = call("POST", "/v1/usage", report);

        assertThat(parts).as("keys per unit of work").containsExactly(500, 500, 7);
        assertThat(first.status()).as(first.raw()).isEqualTo(200);
        assertThat(first.body().get("recorded").asInt()).isEqualTo(1_007);
        assertThat(again.body().get("recorded").asInt()).isZero();
        assertThat(again.body().get("duplicates").asInt()).isEqualTo(1_007);
    }

    @Test
    void aReportThatFailsInItsSecondPartKeepsTheFirstAndItsResendRecordsExactlyTheRest() {
        String minute = Instant.now().truncatedTo(ChronoUnit.MINUTES).toString();
        List<String> keyIds = new ArrayList<>();
        for (int i = 0; i < 1_007; i++) {
            keyIds.add(UUID.randomUUID().toString());
        }
        List<Object> keys = new ArrayList<>();
        for (String keyId : keyIds) {
            keys.add(map("keyId", keyId, "lastUsedAt", minute, "counts",
                    List.of(map("minute", minute, "endpoint", "/orders", "outcome", "valid", "count", 1))));
        }
        Map<String, Object> report = map("edgeId", "edge-failing", "batchSequence", 1, "keys", keys);
        // Parts take the keys in order: the 700th falls in the second part, after 199 of its keys were handled.
        failingUsageKey = keyIds.stream().sorted().toList().get(699);

        Response failed;
        try {
            failed = call("POST", "/v1/usage", report);
        } finally {
            failingUsageKey = null;
        }
        Response resent = call("POST", "/v1/usage", report);
        Response again = call("POST", "/v1/usage", report);

        assertThat(failed.status()).as(failed.raw()).isEqualTo(500);
        // The first part was committed; the second was rolled back whole, and the third never began.
        assertThat(resent.status()).as(resent.raw()).isEqualTo(200);
        assertThat(resent.body().get("recorded").asInt()).isEqualTo(507);
        assertThat(resent.body().get("duplicates").asInt()).isEqualTo(500);
        assertThat(again.body().get("recorded").asInt()).isZero();
    }

    @Test
    void anAccountsNameAndAddressAreChangedConditionallyAndTheSameDetailsRecordNothing() {
        String developerId = registerDeveloper();
        String path = "/v1/developers/" + developerId;
        Response changed = call("PUT", path, map("name", "Ada Lovelace", "email", "ada@lovelace.org"));
        assertThat(changed.status()).as(changed.raw()).isEqualTo(200);
        assertThat(changed.body().get("name").asText()).isEqualTo("Ada Lovelace");
        assertThat(changed.body().get("email").asText()).isEqualTo("ada@lovelace.org");
        long version = changed.body().get("version").asLong();
        assertThat(version).isEqualTo(1);
        assertThat(changed.header("ETag")).isEqualTo("\"1\"");
        assertThat(call("PUT", path, map("name", "Ada Lovelace", "email", "ada@lovelace.org")).body().get("version")
                .asLong()).as("nothing recorded").isEqualTo(1);
        assertProblem(call("PUT", path, map("name", "Ada", "email", address("ada")), "If-Match", "\"0\""), 412);
        assertProblem(call("PUT", path, map("name", "Ada", "email", "<b>@x.y")), 422);
        assertProblem(call("PUT", path, map("name", "Ada")), 422);
        assertProblem(call("PUT", "/v1/developers/" + UNKNOWN_ID, map("name", "Ada", "email", "ada@example.com")),
                404);
    }

    @Test
    void anEmailAddressBelongsToOneAccountInAnyCase() {
        String grace = address("Grace");
        Response first = call("POST", "/v1/developers", map("name", "Grace", "email", grace));
        assertThat(first.status()).as(first.raw()).isEqualTo(201);
        String graceId = first.body().get("developerId").asText();

        Response again = call("POST", "/v1/developers", map("name", "Grace", "email", grace.toLowerCase(Locale.ROOT)));
        assertProblem(again, 409);
        assertThat(again.body().get("type").asText()).endsWith("/email-taken");
        assertThat(again.body().get("developerId").asText()).as("a registration sent again finds its account")
                .isEqualTo(graceId);

        String otherId = registerDeveloper();
        Response moved = call("PUT", "/v1/developers/" + otherId,
                map("name", "Ada", "email", grace.toUpperCase(Locale.ROOT)));
        assertProblem(moved, 409);
        assertThat(moved.body().get("developerId").asText()).isEqualTo(graceId);
        assertProblem(call("PUT", "/v1/developers/" + UNKNOWN_ID, map("name", "Ada", "email", grace)), 404);
        assertThat(call("PUT", "/v1/developers/" + graceId,
                map("name", "Grace H", "email", grace.toUpperCase(Locale.ROOT))).status())
                .as("its own address, in another case").isEqualTo(200);

        String newAddress = address("hopper");
        assertThat(call("PUT", "/v1/developers/" + graceId, map("name", "Grace", "email", newAddress)).status())
                .isEqualTo(200);
        Response freed = call("POST", "/v1/developers", map("name", "Grace 2", "email", grace));
        assertThat(freed.status()).as("the address the account left: " + freed.raw()).isEqualTo(201);
        assertProblem(call("POST", "/v1/developers", map("name", "Grace 3", "email", newAddress)), 409);
    }

    @Test
    void anAccountRegisteredBeforeClaimsExistedHoldsItsAddress() throws InterruptedException {
        String developerId = UUID.randomUUID().toString();
        String address = address("before");
        // As a release without claims recorded it.
        eventStore.publish(new GenericDomainEventMessage<>("DeveloperAccount", developerId, 0,
                new DeveloperRegisteredEvent(developerId, "Before", address, Instant.now()),
                Map.of("actor", "operator", "requestId", "before-claims", "sourceAddress", "127.0.0.1")));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (storedDocuments().stream().noneMatch(document -> document.contains(address))) {
            assertThat(System.nanoTime()).as("the email-claims processor claiming the address").isLessThan(deadline);
            Thread.sleep(20);
        }
        Response again = call("POST", "/v1/developers", map("name", "After", "email", address));
        assertProblem(again, 409);
        assertThat(again.body().get("developerId").asText()).isEqualTo(developerId);
    }

    @Test
    void aRefusedChangeGivesItsAddressUp() {
        String developerId = registerDeveloper();
        String wanted = address("wanted");
        assertProblem(call("PUT", "/v1/developers/" + developerId, map("name", "Ada", "email", wanted),
                "If-Match", "\"7\""), 412);
        Response registered = call("POST", "/v1/developers", map("name", "Other", "email", wanted));
        assertThat(registered.status()).as(registered.raw()).isEqualTo(201);
    }

    @Test
    void ofRegistrationsOfOneAddressAtOnceOneMakesAnAccount() throws Exception {
        String address = address("race");
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Callable<Response>> racers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                racers.add(() -> call("POST", "/v1/developers", map("name", "Racer", "email", address)));
            }
            List<Response> answers = new ArrayList<>();
            for (Future<Response> answer : pool.invokeAll(racers)) {
                answers.add(answer.get());
            }
            assertThat(answers).extracting(Response::status).containsOnly(201, 409).filteredOn(s -> s == 201)
                    .hasSize(1);
            String made = answers.stream().filter(r -> r.status() == 201).findFirst().orElseThrow().body()
                    .get("developerId").asText();
            assertThat(answers).filteredOn(r -> r.status() == 409)
                    .allSatisfy(r -> assertThat(r.body().get("developerId").asText()).isEqualTo(made));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void operatorSetsAndRemovesADevelopersDefaultRateLimit() {
        String developerId = registerDeveloper();
        String path = "/v1/developers/" + developerId + "/rate-limit";
        Response set = call("PUT", path, map("limit", 100, "periodSeconds", 60, "burst", 150));
        assertThat(set.status()).as(set.raw()).isEqualTo(200);
        assertThat(set.body().get("rateLimit").get("limit").asLong()).isEqualTo(100);
        assertThat(set.body().get("rateLimit").get("burst").asLong()).isEqualTo(150);
        Response removed = call("DELETE", path, null);
        assertThat(removed.status()).as(removed.raw()).isEqualTo(200);
        assertThat(removed.body().get("rateLimit").isNull()).isTrue();
        assertThat(removed.body().get("version").asLong()).isGreaterThan(set.body().get("version").asLong());

        assertThat(set.header("ETag")).isEqualTo("\"" + set.body().get("version").asLong() + "\"");
        assertThat(removed.header("ETag")).isEqualTo("\"" + removed.body().get("version").asLong() + "\"");
        // A change made on the strength of an older read is refused, as for a key.
        assertProblem(call("PUT", path, map("limit", 7, "periodSeconds", 60), "If-Match", set.header("ETag")), 412);
        assertThat(call("PUT", path, map("limit", 7, "periodSeconds", 60), "If-Match", removed.header("ETag"))
                .status()).isEqualTo(200);
        Response none = call("PUT", path, map("limit", 0, "periodSeconds", 60));
        assertProblem(none, 422);
        assertThat(none.body().get("detail").asText()).isEqualTo("limit must be between 1 and 1000000000.");
        assertThat(call("PUT", path, map("limit", 5, "periodSeconds", 60, "burst", 4)).body().get("detail").asText())
                .isEqualTo("burst must be between limit and 1000000000.");
        assertThat(call("PUT", path, map("limit", 5, "periodSeconds", 2_678_401)).body().get("detail").asText())
                .isEqualTo("periodSeconds must be between 1 and 2678400 (31 days).");
        assertProblem(send("PUT", path, json(map("limit", 1, "periodSeconds", 1)), null), 401);
        assertProblem(call("PUT", "/v1/developers/" + UNKNOWN_ID + "/rate-limit", map("limit", 1, "periodSeconds", 1)), 404);
        String keyId = createKey(developerId).body().get("keyId").asText();
        assertProblem(call("DELETE", "/v1/developers/" + keyId + "/rate-limit", null), 404);
    }

    @Test
    void aKeysOwnRateLimitIsRemovedSoThatItsDevelopersDefaultApplies() {
        String developerId = registerDeveloper();
        Response created = createKey(developerId, "rateLimit", map("limit", 5, "periodSeconds", 1));
        String path = "/v1/keys/" + created.body().get("keyId").asText() + "/rate-limit";
        Response removed = call("DELETE", path, null, "If-Match", created.header("ETag"));
        assertThat(removed.status()).as(removed.raw()).isEqualTo(200);
        assertThat(removed.body().get("rateLimit").isNull()).isTrue();
        assertThat(removed.header("ETag")).isEqualTo("\"1\"");
        assertProblem(send("DELETE", path, null, null), 401);
        assertProblem(call("DELETE", "/v1/keys/" + UNKNOWN_ID + "/rate-limit", null), 404);
    }

    @Test
    void aKeyGetsChangesAndLosesItsMonthlyQuota() {
        String developerId = registerDeveloper();
        Response created = createKey(developerId, "quota", map("requestsPerMonth", 1000));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        assertThat(created.body().get("quota").get("requestsPerMonth").asLong()).isEqualTo(1000);
        String path = "/v1/keys/" + created.body().get("keyId").asText() + "/quota";
        Response set = call("PUT", path, map("requestsPerMonth", 5000));
        assertThat(set.status()).as(set.raw()).isEqualTo(200);
        assertThat(set.body().get("quota").get("requestsPerMonth").asLong()).isEqualTo(5000);
        Response removed = call("DELETE", path, null);
        assertThat(removed.status()).as(removed.raw()).isEqualTo(200);
        assertThat(removed.body().get("quota").isNull()).isTrue();
        assertThat(removed.body().get("version").asLong()).isGreaterThan(set.body().get("version").asLong());

        assertProblem(call("PUT", path, map("requestsPerMonth", 0)), 422);
        assertProblem(call("PUT", path, map()), 422);
        assertProblem(call("PUT", path, map("requestsPerMonth", 2_000_000_000_000L)), 422);
        assertProblem(createKey(developerId, "quota", map("requestsPerMonth", -1)), 422);
        assertProblem(call("PUT", "/v1/keys/" + UNKNOWN_ID + "/quota", map("requestsPerMonth", 1)), 404);
        assertProblem(call("DELETE", "/v1/keys/" + developerId + "/quota", null), 404);
    }

    @Test
    void missingTokenIsUnauthorized() {
        assertProblem(send("POST", "/v1/developers", json(map("name", "x", "email", "x@example.com")), null), 401);
    }

    @Test
    void wrongTokenIsUnauthorized() {
        assertProblem(send("POST", "/v1/developers", json(map("name", "x", "email", "x@example.com")),
                "Bearer not-the-operator-token"), 401);
    }

    @Test
    void cannotChangeARevokedKey() {
        String keyId = createRevokedKey();
        List<Response> attempts = List.of(
                call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", List.of("write"))),
                call("POST", "/v1/keys/" + keyId + "/rotate", null),
                call("POST", "/v1/keys/" + keyId + "/renew", map("expiresAt", "2099-01-01T00:00:00Z")),
                call("PUT", "/v1/keys/" + keyId + "/rate-limit", map("limit", 1, "periodSeconds", 1)),
                call("POST", "/v1/keys/" + keyId + "/revoke", null));
        assertThat(attempts).allSatisfy(response -> {
            assertProblem(response, 409);
            assertThat(response.body().get("type").asText()).endsWith("/key-revoked");
        });
    }

    @Test
    void aChangeSentAgainLeavesTheVersionAndTheHistoryAsTheyWere() {
        String keyId = createKey(registerDeveloper()).body().get("keyId").asText();
        String path = "/v1/keys/" + keyId + "/scopes";
        Response first = call("PUT", path, map("scopes", List.of("write")));
        assertThat(first.status()).as(first.raw()).isEqualTo(200);
        Response again = call("PUT", path, map("scopes", List.of("write")));
        assertThat(again.status()).as(again.raw()).isEqualTo(200);
        assertThat(again.header("ETag")).isEqualTo(first.header("ETag")).isEqualTo("\"1\"");
        // Still a change made on the strength of an older read: refused, though it would change nothing.
        assertProblem(call("PUT", path, map("scopes", List.of("write")), "If-Match", "\"0\""), 412);
        assertThat(call("PUT", path, map("scopes", List.of("write")), "If-Match", "\"1\"").status()).isEqualTo(200);
    }

    @Test
    void staleIfMatchFailsThePrecondition() {
        String keyId = createKey(registerDeveloper()).body().get("keyId").asText();
        assertThat(call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", List.of("write"))).status())
                .isEqualTo(200);
        Response stale = call("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", List.of("admin")), "If-Match",
                "\"0\"");
        assertProblem(stale, 412);
        assertThat(stale.body().get("type").asText()).endsWith("/version-conflict");
        assertProblem(call("POST", "/v1/keys/" + keyId + "/revoke", null, "If-Match", "\"7\""), 412);
        assertProblem(call("POST", "/v1/keys/" + keyId + "/revoke", null, "If-Match", "W/\"x\""), 400);
        Response current = call("POST", "/v1/keys/" + keyId + "/revoke", null, "If-Match", "\"1\"");
        assertThat(current.status()).as(current.raw()).isEqualTo(200);
    }

    @Test
    void dueExpiryIsRecordedBySystemExpiry() throws InterruptedException {
        String developerId = registerDeveloper();
        String keyId = createKey(developerId, "expiresAt", Instant.now().plusMillis(1500).toString())
                .body().get("keyId").asText();
        try (MongoClient mongo = MongoClients.create("mongodb://127.0.0.1:" + STORE_PORT)) {
            MongoDatabase database = mongo.getDatabase("latchkey");
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            Document expired = null;
            while (expired == null && System.nanoTime() < deadline) {
                expired = database.getCollection("domainevents")
                        .find(new Document("aggregateIdentifier", keyId)
                                .append("payloadType", "io.latchkey.api.ApiKeyExpiredEvent")).first();
                Thread.sleep(100);
            }
            assertThat(expired).as("ApiKeyExpiredEvent for " + keyId).isNotNull();
            assertThat(expired.toJson()).contains("system:expiry");
        }
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void storeNeverHoldsAPlaintextKey() {
        assertThat(ISSUED_KEYS).hasSizeGreaterThanOrEqualTo(10);
        List<String> documents = storedDocuments();
        assertThat(documents).isNotEmpty();
        assertThat(documents).noneMatch(document -> document.contains(TOKEN));
        for (String key : union(ISSUED_KEYS, PASTED_KEYS)) {
            assertThat(documents).noneMatch(document -> document.contains(key));
            // The body alone, in case something dropped or re-encoded the prefix.
            String body = key.substring(key.lastIndexOf('_') + 1);
            assertThat(documents).noneMatch(document -> document.contains(body));
        }
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void logNeverHoldsAPlaintextKey() {
        assertThat(logged()).as("captured every request").contains("Completed initialization");
        // Spring MVC logs the bodies it reads and writes, and why it could not read one.
        for (String key : union(ISSUED_KEYS, PASTED_KEYS)) {
            assertThat(logged()).doesNotContain(key.substring(key.lastIndexOf('_') + 1));
        }
    }

    private static String logged() {
        return LOG.list.stream().map(event -> event.getFormattedMessage() + "\n" + (event.getThrowableProxy() == null
                        ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy())))
                .collect(Collectors.joining("\n"));
    }

    private static Set<String> union(Set<String> some, Set<String> others) {
        Set<String> both = new HashSet<>(some);
        both.addAll(others);
        return both;
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void everyStoredEventCarriesWhoWhichRequestAndWhere() throws IOException {
        try (MongoClient mongo = MongoClients.create("mongodb://127.0.0.1:" + STORE_PORT)) {
            List<Document> events = mongo.getDatabase("latchkey").getCollection("domainevents")
                    .find().into(new ArrayList<>());
            assertThat(events).hasSizeGreaterThan(20);
            for (Document event : events) {
                JsonNode metaData = JSON.readTree(metaDataJson(event.get("serializedMetaData")));
                assertThat(metaData.path("actor").asText()).as(event.toJson()).isNotBlank();
                assertThat(metaData.path("requestId").asText()).as(event.toJson()).isNotBlank();
                assertThat(metaData.path("sourceAddress").asText()).as(event.toJson()).isNotBlank();
            }
        }
    }

    /** Axon's Mongo storage keeps metadata as serialized text (Jackson: JSON), or binary for other serializers. */
    private static String metaDataJson(Object stored) {
        if (stored instanceof org.bson.types.Binary binary) {
            return new String(binary.getData(), java.nio.charset.StandardCharsets.UTF_8);
        }
        return String.valueOf(stored);
    }

    /** Every document of every collection of every database, as JSON, with binary fields decoded as text too. */
    private static List<String> storedDocuments() {
        List<String> documents = new ArrayList<>();
        try (MongoClient mongo = MongoClients.create("mongodb://127.0.0.1:" + STORE_PORT)) {
            for (String databaseName : mongo.listDatabaseNames()) {
                MongoDatabase database = mongo.getDatabase(databaseName);
                for (String collection : database.listCollectionNames()) {
                    for (Document document : database.getCollection(collection).find()) {
                        StringBuilder text = new StringBuilder(document.toJson());
                        document.values().stream().filter(org.bson.types.Binary.class::isInstance)
                                .map(value -> ((org.bson.types.Binary) value).getData())
                                .forEach(bytes -> text.append(new String(bytes,
                                        java.nio.charset.StandardCharsets.UTF_8)));
                        documents.add(text.toString());
                    }
                }
            }
        }
        return documents;
    }
}
