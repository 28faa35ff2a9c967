package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyScopesChangedEvent;
import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.api.UsageCount;
import io.latchkey.api.secret.KeyFormat;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.TrackingEventProcessor;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Developers read their own keys, history and account with their own admin key, authenticated by the validator
 * embedded in the query side on its own replica; another developer's answers exactly as nothing at all.
 */
class SelfServiceQueryTest extends QuerySideTestSupport {

    private static final Duration PROJECTED = Duration.ofSeconds(15);

    @Autowired
    EventProcessingConfiguration processing;

    private String registerDeveloper(String name) {
        String developerId = UUID.randomUUID().toString();
        append("DeveloperAccount", developerId, 0,
                new DeveloperRegisteredEvent(developerId, name, name + "@example.com", now()));
        return developerId;
    }

    private IssuedKey createKey(String developerId, List<String> scopes) {
        IssuedKey key = IssuedKey.issue(developerId);
        appendKeyEvent(key.keyId(), 0, new ApiKeyCreatedEvent(key.keyId(), developerId, "k", key.secretHash(),
                "lk_test_…", scopes, now(), null, null));
        return key;
    }

    /** A problem body as a client compares it: everything but the path it answers for. */
    private static JsonNode withoutInstance(Response response) {
        JsonNode copy = response.body().deepCopy();
        if (copy instanceof ObjectNode object) {
            object.remove("instance");
        }
        return copy;
    }

    /**
     * While the key projection is behind, another developer's new key answers an admin key 404 at once, exactly as an
     * id that does not exist, not the 503 its owner would get: waiting would tell that the key exists.
     */
    @Test
    void anotherDevelopersKeyTheReadModelDoesNotHoldYetIsNotFoundNotWaitedFor() {
        String developerA = registerDeveloper("cy");
        String developerB = registerDeveloper("di");
        IssuedKey adminA = createKey(developerA, List.of("admin"));
        await().atMost(PROJECTED).until(() -> get("/v1/keys/" + adminA.keyId(), adminA.plaintext()).status() == 200);
        TrackingEventProcessor projection = processing
                .eventProcessor(KeyProjection.GROUP, TrackingEventProcessor.class).orElseThrow();
        projection.shutDown();
        try {
            IssuedKey keyB = createKey(developerB, List.of("read"));
            for (String route : List.of("/v1/keys/%s", "/v1/keys/%s/usage")) {
                Response theirs = get(route.formatted(keyB.keyId()), adminA.plaintext());
                Response none = get(route.formatted(UUID.randomUUID()), adminA.plaintext());
                assertThat(theirs.status()).as(route + ": " + theirs.raw()).isEqualTo(404);
                assertThat(withoutInstance(theirs)).isEqualTo(withoutInstance(none));
            }
            assertThat(get("/v1/keys/" + keyB.keyId()).status()).as("its owner's side waits, then 503")
                    .isEqualTo(503);
        } finally {
            projection.start();
        }
    }

    @Test
    void anAdminKeyReadsItsOwnDeveloperAndNothingOfAnother() {
        String developerA = registerDeveloper("ada");
        String developerB = registerDeveloper("bob");
        IssuedKey adminA = createKey(developerA, List.of("admin"));
        IssuedKey keyB = createKey(developerB, List.of("read"));
        await().atMost(PROJECTED).until(() -> get("/v1/keys/" + adminA.keyId(), adminA.plaintext()).status() == 200
                && get("/v1/keys/" + keyB.keyId()).status() == 200);

        assertThat(get("/v1/developers/" + developerA, adminA.plaintext()).status()).isEqualTo(200);
        Response ownKeys = get("/v1/developers/" + developerA + "/keys", adminA.plaintext());
        assertThat(ownKeys.status()).isEqualTo(200);
        assertThat(ownKeys.body().get("keys").get(0).get("keyId").asText()).isEqualTo(adminA.keyId());
        append("ApiKey", adminA.keyId(), 1, new ApiKeyScopesChangedEvent(adminA.keyId(), List.of("admin"), now()),
                "developer:" + developerA + "/key:" + adminA.keyId());
        await().atMost(PROJECTED).until(() -> get("/v1/keys/" + adminA.keyId() + "/history", adminA.plaintext())
                .body().get("events").size() == 2);
        // Where the operator (and the edges) act from, and its clients' request ids, are the operator's to know; where
        // its own keys acted from, and under which ids, are not.
        JsonNode ownHistory = get("/v1/keys/" + adminA.keyId() + "/history", adminA.plaintext()).body().get("events");
        assertThat(ownHistory.get(0).get("actor").asText()).isEqualTo("operator");
        assertThat(ownHistory.get(0).get("sourceAddress").isNull()).as(ownHistory.toString()).isTrue();
        assertThat(ownHistory.get(0).get("clientRequestId").isNull()).as(ownHistory.toString()).isTrue();
        assertThat(ownHistory.get(0).get("requestId").asText()).isNotBlank();
        assertThat(ownHistory.get(1).get("sourceAddress").asText()).isEqualTo(SOURCE_ADDRESS);
        assertThat(ownHistory.get(1).get("clientRequestId").asText())
                .isEqualTo("client-" + ownHistory.get(1).get("requestId").asText());
        JsonNode operatorsView = get("/v1/keys/" + adminA.keyId() + "/history").body().get("events").get(0);
        assertThat(operatorsView.get("sourceAddress").asText()).as("the operator's view").isEqualTo(SOURCE_ADDRESS);
        assertThat(operatorsView.get("clientRequestId").asText())
                .isEqualTo("client-" + operatorsView.get("requestId").asText());
        Response receipt = get("/v1/keys/" + adminA.keyId() + "/propagation", adminA.plaintext());
        assertThat(receipt.status()).isEqualTo(200);
        // The replica cluster's layout is the operator's: a tenant learns whether its change arrived, not where.
        assertThat(receipt.body().get("members")).isNotEmpty().allSatisfy(member -> {
            assertThat(member.get("address").isNull()).as("address: " + member).isTrue();
            assertThat(member.get("instance").isNull()).as("instance: " + member).isTrue();
        });
        assertThat(get("/v1/keys/" + adminA.keyId() + "/propagation").body().get("members").get(0).get("address")
                .asText()).as("the operator's receipt").contains(":");

        // Traffic no key was found for belongs to no developer.
        assertThat(get("/v1/usage/unattributed", adminA.plaintext()).status()).isEqualTo(403);
        String unknown = UUID.randomUUID().toString();
        String asOf = "/v1/keys/%s?asOf=" + now();
        assertThat(get(asOf.formatted(adminA.keyId()), adminA.plaintext()).status()).isEqualTo(200);
        // Before any key was created: another developer's key is not told "not yet created", only the caller's own.
        String asOfBefore = "/v1/keys/%s?asOf=1970-01-01T00:00:01Z";
        assertThat(get(asOfBefore.formatted(adminA.keyId()), adminA.plaintext()).body().get("type").asText())
                .endsWith("/not-yet-created");
        for (String route : List.of("/v1/keys/%s", asOf, asOfBefore, "/v1/keys/%s/history", "/v1/keys/%s/propagation",
                "/v1/keys/%s/usage")) {
            Response theirs = get(route.formatted(keyB.keyId()), adminA.plaintext());
            Response none = get(route.formatted(unknown), adminA.plaintext());
            assertThat(theirs.status()).as(route + ": " + theirs.raw()).isEqualTo(404);
            assertThat(withoutInstance(theirs)).isEqualTo(withoutInstance(none));
        }
        assertThat(get("/v1/developers/" + developerA + "/history", adminA.plaintext()).status()).isEqualTo(200);
        for (String route : List.of("/v1/developers/%s", "/v1/developers/%s/keys", "/v1/developers/%s/history")) {
            Response theirs = get(route.formatted(developerB), adminA.plaintext());
            Response none = get(route.formatted(unknown), adminA.plaintext());
            assertThat(theirs.status()).as(route + ": " + theirs.raw()).isEqualTo(404);
            assertThat(withoutInstance(theirs)).isEqualTo(withoutInstance(none));
        }

        JsonNode listed = get("/v1/developers", adminA.plaintext()).body();
        assertThat(listed.get("developers")).as(listed.toString()).hasSize(1);
        assertThat(listed.get("developers").get(0).get("developerId").asText()).isEqualTo(developerA);
        assertThat(listed.get("more").asBoolean()).isFalse();

        assertThat(get("/v1/keys/" + keyB.keyId() + "/history").status()).as("the operator reads every tenant")
                .isEqualTo(200);
        assertThat(get("/v1/developers/" + developerB + "/keys").status()).isEqualTo(200);
    }

    /**
     * An edge numbers its reports across every key it decides for, so the gaps between one key's report numbers would
     * count the seconds in which other developers' keys were used at that edge: a developer sees its counts, not them.
     */
    @Test
    void aUsageReportsEdgeAndNumberAreTheOperatorsNotTheKeysDeveloper() {
        String developer = registerDeveloper("eve");
        IssuedKey admin = createKey(developer, List.of("admin"));
        Instant minute = now().truncatedTo(ChronoUnit.MINUTES);
        append("KeyUsage", ApiKeyUsageRecordedEvent.streamOf(admin.keyId()), 0, new ApiKeyUsageRecordedEvent(
                admin.keyId(), "edge-7", 51, List.of(new UsageCount(minute, "/orders", "valid", 3)), minute, now()),
                "edge");
        String history = "/v1/keys/" + admin.keyId() + "/history?stream=usage";
        await().atMost(PROJECTED).until(() -> get(history, admin.plaintext()).status() == 200);

        JsonNode developersView = get(history, admin.plaintext()).body().get("events").get(0).get("payload");
        JsonNode operatorsView = get(history).body().get("events").get(0).get("payload");

        assertThat(developersView.has("edgeId")).as(developersView.toString()).isFalse();
        assertThat(developersView.has("batchSequence")).as(developersView.toString()).isFalse();
        assertThat(developersView.get("counts").get(0).get("count").asLong()).isEqualTo(3);
        assertThat(operatorsView.get("edgeId").asText()).isEqualTo("edge-7");
        assertThat(operatorsView.get("batchSequence").asLong()).isEqualTo(51);
    }

    @Test
    void aReadKeyIsForbiddenAndAnUnknownKeyGetsTheBadTokenAnswer() {
        String developer = registerDeveloper("cy");
        IssuedKey readOnly = createKey(developer, List.of("read", "write"));
        await().atMost(PROJECTED).until(() -> get("/v1/keys/" + readOnly.keyId()).status() == 200);
        await().atMost(PROJECTED)
                .until(() -> get("/v1/keys/" + readOnly.keyId(), readOnly.plaintext()).status() == 403);

        Response forbidden = get("/v1/developers/" + developer, readOnly.plaintext());
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.contentType()).startsWith("application/problem+json");

        Response badToken = get("/v1/developers/" + developer, "not-the-token");
        Response unknownKey = get("/v1/developers/" + developer, KeyFormat.forEnvironment("test").generate());
        assertThat(badToken.status()).isEqualTo(401);
        assertThat(unknownKey.status()).isEqualTo(401);
        assertThat(unknownKey.raw()).isEqualTo(badToken.raw());
    }
}
