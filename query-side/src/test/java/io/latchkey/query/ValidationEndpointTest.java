package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyExpiredEvent;
import io.latchkey.api.ApiKeyQuotaChangedEvent;
import io.latchkey.api.ApiKeyRateLimitChangedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.RateLimit;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.testing.MistypedKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** {@code POST /v1/validate}, the edges' fallback, answering from this service's own replica member. */
class ValidationEndpointTest extends QuerySideTestSupport {

    private static final Duration REPLICATED = Duration.ofSeconds(10);
    private static final String NOT_FOUND = "{\"status\":\"NOT_FOUND\"}";

    private IssuedKey createKey(List<String> scopes, Instant expiresAt) {
        IssuedKey key = IssuedKey.issue(UUID.randomUUID().toString());
        appendKeyEvent(key.keyId(), 0, new ApiKeyCreatedEvent(key.keyId(), key.developerId(), "validated",
                key.secretHash(), "lk_test_…abcd", scopes, now().minusSeconds(600), expiresAt, null));
        return key;
    }

    private Response validate(String key, String scope) {
        Map<String, String> body = new HashMap<>();
        body.put("key", key);
        body.put("scope", scope);
        return post("/v1/validate", body);
    }

    /** Waits until the replica gives {@code status} for the key, then returns the full answer. */
    private Response awaitStatus(String key, String scope, String status) {
        await().atMost(REPLICATED).until(() -> status.equals(validate(key, scope).body().path("status").asText()));
        return validate(key, scope);
    }

    @Test
    void healthShowsTheReplicaThatValidationNeedsAndReadinessLeavesItOut() {
        IssuedKey key = createKey(List.of("read"), null);
        awaitStatus(key.plaintext(), "read", "VALID");

        Response health = get("/actuator/health", null);
        assertThat(health.status()).as(health.raw()).isEqualTo(200);
        assertThat(health.body().path("components").path("replica").path("status").asText()).isEqualTo("UP");
        Response readiness = get("/actuator/health/readiness", null);
        assertThat(readiness.status()).as(readiness.raw()).isEqualTo(200);
        assertThat(readiness.body().path("components").has("mongo")).isTrue();
        assertThat(readiness.body().path("components").has("replica"))
                .as("reads of the read models go on while the replica is not current").isFalse();
        assertThat(get("/actuator/health/liveness", null).status()).isEqualTo(200);
    }

    @Test
    void onlyEdgesAndTheOperatorValidateKeysHere() {
        IssuedKey key = createKey(List.of("admin"), null);
        awaitStatus(key.plaintext(), "read", "VALID");
        Map<String, String> body = Map.of("key", key.plaintext(), "scope", "read");

        Response edge = post("/v1/validate", body, USAGE_TOKEN);
        assertThat(edge.status()).isEqualTo(200);
        assertThat(edge.body().get("keyId").asText()).isEqualTo(key.keyId());

        Response anonymous = post("/v1/validate", body, null);
        assertThat(anonymous.status()).as("a check no key's usage would show").isEqualTo(401);
        assertThat(anonymous.raw()).doesNotContain(key.keyId());
        assertThat(anonymous.body().get("detail").asText()).as("what the route takes")
                .startsWith("A valid usage token (latchkey.usage.token) or operator token is required");
        Response developer = post("/v1/validate", body, key.plaintext());
        assertThat(developer.status()).as("a developer's admin key").isEqualTo(403);
        assertThat(developer.raw()).doesNotContain(key.keyId());
        assertThat(post("/v1/validate", body, "not-a-token-of-this-system").status()).isEqualTo(401);
    }

    @Test
    void aKeySentToBeValidatedIsNeverLoggedEvenWithSpringMvcTracingEveryBody() {
        IssuedKey key = createKey(List.of("read"), null);
        awaitStatus(key.plaintext(), "read", "VALID");
        String unknown = KeyFormat.forEnvironment("test").generate();
        Logger mvc = (Logger) LoggerFactory.getLogger("org.springframework.web.servlet.mvc.method.annotation");
        Level before = mvc.getLevel();
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        mvc.addAppender(log);
        mvc.setLevel(Level.TRACE);
        try {
            assertThat(validate(key.plaintext(), "read").status()).isEqualTo(200);
            assertThat(validate(unknown, "read").status()).isEqualTo(200);
            assertThat(post("/v1/validate", Map.of("key", unknown, unknown, "read")).status()).isEqualTo(400);
        } finally {
            mvc.setLevel(before);
            mvc.detachAppender(log);
        }
        String logged = log.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.joining("\n"));
        assertThat(logged).as("traced").contains("ValidateRequest");
        for (String presented : List.of(key.plaintext(), unknown)) {
            assertThat(logged).doesNotContain(presented.substring(presented.lastIndexOf('_') + 1));
        }
    }

    @Test
    void liveKeyIsValidWithoutAnOperatorToken() {
        Instant expiresAt = now().plusSeconds(3600);
        IssuedKey key = createKey(List.of("orders:write"), expiresAt);

        Response valid = awaitStatus(key.plaintext(), "orders:read", "VALID");

        assertThat(valid.status()).isEqualTo(200);
        assertThat(valid.body().get("keyId").asText()).isEqualTo(key.keyId());
        assertThat(valid.body().get("developerId").asText()).isEqualTo(key.developerId());
        assertThat(valid.body().get("scopes").get(0).asText()).isEqualTo("orders:write");
        assertThat(valid.body().get("expiresAt").asText()).isEqualTo(expiresAt.toString());
        assertThat(validate(key.plaintext(), null).body().get("status").asText()).isEqualTo("VALID");
        assertThat(valid.body().get("rateLimit").isNull()).as("no limit").isTrue();
        assertThat(valid.body().get("monthlyQuota").isNull()).as("no quota").isTrue();
    }

    @Test
    void theAnswerCarriesTheKeysLimitsForTheEdgeToApply() {
        IssuedKey key = createKey(List.of("read"), null);
        appendKeyEvent(key.keyId(), 1, new ApiKeyRateLimitChangedEvent(key.keyId(), new RateLimit(5, 60, 10L), now()));
        appendKeyEvent(key.keyId(), 2, new ApiKeyQuotaChangedEvent(key.keyId(), 1000L, now()));

        await().atMost(REPLICATED)
                .until(() -> validate(key.plaintext(), "read").body().path("monthlyQuota").asLong() == 1000);
        JsonNode limit = validate(key.plaintext(), "read").body().get("rateLimit");
        assertThat(limit.get("limit").asLong()).isEqualTo(5);
        assertThat(limit.get("periodSeconds").asLong()).isEqualTo(60);
        assertThat(limit.get("burst").asLong()).isEqualTo(10);
    }

    @Test
    void anExpiryStoredBeyondWhatTheStoresHoldIsReadAsTheLastTheyHoldAndStopsNoProjection() {
        // Appended as the command side did before it refused such an expiry: epoch millis overflow past year 292278994.
        IssuedKey far = createKey(List.of("read"), Instant.parse("+300000000-01-01T00:00:00Z"));
        IssuedKey after = createKey(List.of("read"), null);

        awaitStatus(after.plaintext(), "read", "VALID");
        Response valid = awaitStatus(far.plaintext(), "read", "VALID");
        assertThat(valid.body().get("expiresAt").asText()).isEqualTo("9999-12-31T23:59:59.999Z");
        await().atMost(REPLICATED).untilAsserted(() -> assertThat(get("/v1/keys/" + far.keyId()).body()
                .path("expiresAt").asText()).isEqualTo("9999-12-31T23:59:59.999Z"));
    }

    @Test
    void keyLackingTheScopeIsInsufficientScope() {
        IssuedKey key = createKey(List.of("orders:read"), null);

        Response denied = awaitStatus(key.plaintext(), "orders:write", "INSUFFICIENT_SCOPE");

        assertThat(denied.status()).isEqualTo(200);
        assertThat(denied.body().get("keyId").asText()).isEqualTo(key.keyId());
    }

    @Test
    void aRefusedKeyIsNamedWithItsReasonForTheEdgesAndAnUnknownOneGetsTheBareNotFound() {
        IssuedKey revoked = createKey(List.of("read"), null);
        appendKeyEvent(revoked.keyId(), 1, new ApiKeyRevokedEvent(revoked.keyId(), "leaked", now()));
        IssuedKey pastExpiry = createKey(List.of("read"), now().minusSeconds(1));
        // Recorded by the sweep, as the command side records it: the expiry it passed, on every validator's clock too.
        Instant expiry = now().minusSeconds(2);
        IssuedKey expired = createKey(List.of("read"), expiry);
        appendKeyEvent(expired.keyId(), 1, new ApiKeyExpiredEvent(expired.keyId(), expiry));
        IssuedKey live = createKey(List.of("read"), null);
        awaitStatus(live.plaintext(), "read", "VALID");

        // An edge counts these in the key's usage, as it would from its own replica.
        Map<String, IssuedKey> known = Map.of("REVOKED", revoked, "EXPIRED", expired);
        await().atMost(REPLICATED).untilAsserted(() -> assertThat(known).allSatisfy((status, key) -> {
            Response response = post("/v1/validate", Map.of("key", key.plaintext(), "scope", "read"), USAGE_TOKEN);
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.raw()).isEqualTo("{\"status\":\"" + status + "\",\"keyId\":\"" + key.keyId()
                    + "\",\"developerId\":\"" + key.developerId() + "\"}");
        }));
        assertThat(validate(pastExpiry.plaintext(), "read").body().get("status").asText()).isEqualTo("EXPIRED");
        Map<String, String> unknown = Map.of(
                "unknown", KeyFormat.forEnvironment("test").generate(),
                "malformed", "lk_test_not-a-key",
                "mistyped", MistypedKeys.lastCharacterChanged(live.plaintext()));
        assertThat(unknown).allSatisfy((what, key) -> {
            Response response = validate(key, "read");
            assertThat(response.status()).as(what).isEqualTo(200);
            assertThat(response.raw()).as(what).isEqualTo(NOT_FOUND);
        });
    }

    @Test
    void rotatedOutSecretValidatesOnlyUntilItsGraceEnds() {
        IssuedKey inGrace = createKey(List.of("read"), null);
        Instant graceEnds = now().plusSeconds(600);
        appendKeyEvent(inGrace.keyId(), 1, new ApiKeyRotatedEvent(inGrace.keyId(), inGrace.rotated().secretHash(),
                "lk_test_…new", inGrace.secretHash(), graceEnds, now(), graceEnds));
        IssuedKey graceOver = createKey(List.of("read"), null);
        appendKeyEvent(graceOver.keyId(), 1, new ApiKeyRotatedEvent(graceOver.keyId(),
                graceOver.rotated().secretHash(), "lk_test_…new", graceOver.secretHash(), now().minusSeconds(1),
                now().minusSeconds(60), now().minusSeconds(1)));

        await().atMost(REPLICATED).untilAsserted(() -> {
            Response valid = validate(inGrace.plaintext(), "read");
            assertThat(valid.body().get("status").asText()).isEqualTo("VALID");
            // The edge answering through here tells its gateway when the secret stops working, as from its replica.
            assertThat(Instant.parse(valid.body().get("secretValidUntil").asText())).isEqualTo(graceEnds);
            Response superseded = validate(graceOver.plaintext(), "read");
            assertThat(superseded.body().get("status").asText()).isEqualTo("SUPERSEDED");
            assertThat(superseded.body().get("keyId").asText()).isEqualTo(graceOver.keyId());
        });
    }

    @Test
    void missingKeyOrInvalidScopeIsUnprocessable() {
        List<Response> responses = List.of(
                validate(null, "read"),
                validate("", null),
                validate(KeyFormat.forEnvironment("test").generate(), "delete"),
                validate(KeyFormat.forEnvironment("test").generate(), "orders:"),
                // Blanks to Character.isWhitespace, but no scope: refused, never taken for none.
                validate(KeyFormat.forEnvironment("test").generate(), "\u001c\u001f"),
                post("/v1/validate", Map.of("scope", "read")));

        assertThat(responses).allSatisfy(response -> {
            assertThat(response.status()).isEqualTo(422);
            assertThat(response.contentType()).startsWith("application/problem+json");
        });
    }

    @Test
    void aMisspeltScopeFieldIsRefusedNotTakenForNoScope() {
        IssuedKey key = createKey(List.of("read"), null);
        awaitStatus(key.plaintext(), "read", "VALID");

        Response response = post("/v1/validate", Map.of("key", key.plaintext(), "requiredScope", "admin"));

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.contentType()).startsWith("application/problem+json");
        assertThat(response.raw()).contains("Unknown field 'requiredScope'").doesNotContain(key.plaintext());
    }

    @Test
    void anOverlongKeyIsRefusedBeforeItIsReadWhole() {
        Response response = post("/v1/validate", Map.of("key", "x".repeat(100_000)));

        assertThat(response.status()).isEqualTo(413);
        assertThat(response.body().get("type").asText()).endsWith("/body-too-large");
    }

    @Test
    void malformedRequestBodyIsAProblemNotAServerError() {
        Response response = post("/v1/validate", "not an object");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.contentType()).startsWith("application/problem+json");
    }
}
