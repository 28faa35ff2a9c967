package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyQuotaChangedEvent;
import io.latchkey.api.ApiKeyRateLimitChangedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.ApiKeyScopesChangedEvent;
import io.latchkey.api.DeveloperRateLimitChangedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.api.RateLimit;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** A key as it stood at a past instant, folded from the real embedded store's events and asked for over HTTP. */
class KeyAsOfTest extends QuerySideTestSupport {

    @Autowired
    PastStates pastStates;

    /** Ten minutes ago: every event of these tests is stamped within six minutes after it, in the past. */
    private final Instant t0 = now().minus(Duration.ofMinutes(10));

    private Instant at(int seconds) {
        return t0.plusSeconds(seconds);
    }

    private String developer() {
        String developerId = UUID.randomUUID().toString();
        append("DeveloperAccount", developerId, 0,
                new DeveloperRegisteredEvent(developerId, "ada", "ada@example.com", t0), ACTOR, t0);
        return developerId;
    }

    private IssuedKey created(String developerId, int seconds, Instant expiresAt) {
        return created(developerId, at(seconds), at(seconds), expiresAt);
    }

    /** A key created at {@code createdAt} by the command side's clock, stamped {@code recordedAt} by the store. */
    private IssuedKey created(String developerId, Instant createdAt, Instant recordedAt, Instant expiresAt) {
        IssuedKey key = IssuedKey.issue(developerId);
        append("ApiKey", key.keyId(), 0, new ApiKeyCreatedEvent(key.keyId(), developerId, "audited", key.secretHash(),
                "lk_test_…aaaa", List.of("read"), createdAt, expiresAt, null), ACTOR, recordedAt);
        return key;
    }

    private JsonNode asOf(String keyId, Instant asOf) {
        Response response = get("/v1/keys/" + keyId + "?asOf=" + asOf);
        assertThat(response.status()).as(response.raw()).isEqualTo(200);
        return response.body();
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
    }

    @Test
    void eachInstantAnswersTheSettingsOfTheLastEventRecordedByThen() {
        String developerId = developer();
        IssuedKey key = created(developerId, 60, null);
        String keyId = key.keyId();
        append("ApiKey", keyId, 1, new ApiKeyScopesChangedEvent(keyId, List.of("read", "write"), at(120)), ACTOR,
                at(120));
        append("DeveloperAccount", developerId, 1,
                new DeveloperRateLimitChangedEvent(developerId, new RateLimit(50, 60, null), at(180)), ACTOR, at(180));
        append("ApiKey", keyId, 2, new ApiKeyRotatedEvent(keyId, key.rotated().secretHash(), "lk_test_…bbbb",
                key.secretHash(), at(300), at(240), null), ACTOR, at(240));
        append("ApiKey", keyId, 3, new ApiKeyQuotaChangedEvent(keyId, 1_000L, at(300)), ACTOR, at(300));
        append("ApiKey", keyId, 4, new ApiKeyRevokedEvent(keyId, "leaked", at(360)), ACTOR, at(360));

        JsonNode justCreated = asOf(keyId, at(60));
        assertThat(justCreated.get("asOf").asText()).isEqualTo(at(60).toString());
        assertThat(justCreated.get("status").asText()).isEqualTo("ACTIVE");
        assertThat(texts(justCreated.get("scopes"))).containsExactly("read");
        assertThat(justCreated.get("version").asLong()).isZero();
        assertThat(justCreated.get("effectiveRateLimit").isNull()).isTrue();
        assertThat(justCreated.has("secretHash")).isFalse();

        JsonNode widened = asOf(keyId, at(150));
        assertThat(texts(widened.get("scopes"))).containsExactly("read", "write");
        assertThat(widened.get("version").asLong()).isEqualTo(1);
        assertThat(widened.get("effectiveRateLimit").isNull()).isTrue();

        assertThat(asOf(keyId, at(200)).get("effectiveRateLimit").get("limit").asLong())
                .as("the developer's default from then").isEqualTo(50);

        JsonNode rotated = asOf(keyId, at(250));
        assertThat(rotated.get("hint").asText()).isEqualTo("lk_test_…bbbb");
        assertThat(rotated.get("rotatedAt").asText()).isEqualTo(at(240).toString());
        assertThat(rotated.get("previousKeyValidUntil").asText()).isEqualTo(at(300).toString());
        assertThat(rotated.get("requestsPerMonth").isNull()).isTrue();

        assertThat(asOf(keyId, at(330)).get("requestsPerMonth").asLong()).isEqualTo(1_000);

        JsonNode revoked = asOf(keyId, at(360));
        assertThat(revoked.get("status").asText()).isEqualTo("REVOKED");
        assertThat(revoked.get("revocationReason").asText()).isEqualTo("leaked");
        assertThat(revoked.get("version").asLong()).isEqualTo(4);
        assertThat(asOf(keyId, at(359)).get("status").asText()).isEqualTo("ACTIVE");
    }

    @Test
    void theKeyAsOfNowHasTheSettingsOfTheReadModel() {
        String developerId = developer();
        IssuedKey key = created(developerId, 60, at(3_600));
        append("ApiKey", key.keyId(), 1, new ApiKeyScopesChangedEvent(key.keyId(), List.of("write"), at(120)),
                ACTOR, at(120));
        append("ApiKey", key.keyId(), 2, new ApiKeyQuotaChangedEvent(key.keyId(), 7L, at(180)), ACTOR, at(180));
        await().atMost(Duration.ofSeconds(15))
                .until(() -> get("/v1/keys/" + key.keyId()).body().path("version").asLong(-1) == 2);

        ObjectNode present = (ObjectNode) get("/v1/keys/" + key.keyId()).body();
        ObjectNode past = (ObjectNode) asOf(key.keyId(), now());

        assertThat(past.get("requestsPerMonth").asLong()).isEqualTo(present.get("quota").get("requestsPerMonth")
                .asLong());
        for (String counted : List.of("quota", "lastUsedAt")) {
            present.remove(counted);
        }
        past.remove(List.of("asOf", "requestsPerMonth"));
        assertThat(past).isEqualTo(present);
    }

    @Test
    void aChangeCountsFromWhenTheStoreRecordedItNotFromItsOwnTime() {
        IssuedKey key = created(developer(), 60, null);
        append("ApiKey", key.keyId(), 1, new ApiKeyRevokedEvent(key.keyId(), "late", at(100)), ACTOR, at(160));

        assertThat(asOf(key.keyId(), at(130)).get("status").asText()).isEqualTo("ACTIVE");
        JsonNode revoked = asOf(key.keyId(), at(160));
        assertThat(revoked.get("status").asText()).isEqualTo("REVOKED");
        assertThat(revoked.get("revokedAt").asText()).isEqualTo(at(100).toString());
    }

    @Test
    void anEventOfATypeThisReleaseDoesNotKnowChangesNoKeyAndAnyOtherIsAMappingGap() {
        IssuedKey key = created(developer(), 60, null);
        append("ApiKey", key.keyId(), 1, new ApiKeyScopesChangedEvent(key.keyId(), List.of("write"), at(120)), ACTOR,
                at(120));
        // As a command side of a later release would have stored an event of a type added since.
        mongoClient.getDatabase("latchkey").getCollection("domainevents").updateOne(
                Filters.and(Filters.eq("aggregateIdentifier", key.keyId()), Filters.eq("sequenceNumber", 1L)),
                Updates.set("payloadType", "io.latchkey.api.ApiKeySuspendedEvent"));

        JsonNode past = asOf(key.keyId(), at(180));

        assertThat(past.get("version").asLong()).isZero();
        assertThat(texts(past.get("scopes"))).containsExactly("read");
        KeyView view = KeyView.created(new ApiKeyCreatedEvent(key.keyId(), key.developerId(), "k", key.secretHash(),
                "lk_test_…aaaa", List.of("read"), at(0), null, null), 0);
        assertThatThrownBy(() -> view.after(new Object(), 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aKeyPastItsExpiryIsExpiredThenThoughNoExpiryWasRecorded() {
        IssuedKey key = created(developer(), 60, at(120));

        assertThat(asOf(key.keyId(), at(119)).get("status").asText()).isEqualTo("ACTIVE");
        assertThat(asOf(key.keyId(), at(120)).get("status").asText()).isEqualTo("EXPIRED");
    }

    @Test
    void aKeyCreatedLaterIsNotYetCreatedAndAnUnknownIdIsNotFound() {
        IssuedKey key = created(developer(), at(50), at(60), null);

        Response early = get("/v1/keys/" + key.keyId() + "?asOf=" + at(55));
        assertThat(early.status()).isEqualTo(404);
        assertThat(early.body().get("type").asText()).endsWith("/not-yet-created");
        assertThat(early.body().get("detail").asText()).as("when the store recorded it").contains(at(60).toString());
        assertThat(asOf(key.keyId(), at(60)).get("createdAt").asText()).isEqualTo(at(50).toString());
        Response unknown = get("/v1/keys/" + UUID.randomUUID() + "?asOf=" + at(59));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body().get("type").asText()).endsWith("/not-found");
    }

    /**
     * Tomcat drops a parameter it cannot read and keeps the rest: {@code asOf=<instant>%ZZ} answered the key as it is
     * now, a cursor ending in a lone {@code %} the first page, both 200.
     */
    @Test
    void aQueryTheServiceCannotReadWholeIsRefusedRatherThanAnsweredAsIfNeverAsked() throws IOException {
        IssuedKey key = created(developer(), 60, null);
        Response pathParameter = get("/v1/keys/" + key.keyId() + ";asOf=" + at(90));
        assertThat(pathParameter.status()).as("Tomcat takes it out of the path: " + pathParameter.raw()).isEqualTo(400);
        assertThat(pathParameter.body().get("type").asText()).endsWith("/unknown-parameter");
        for (String target : List.of("?asOf=" + at(90) + "%ZZ", "?as%ZZOf=" + at(90), "/history?after=abc%",
                "/history?limit=%2", "/usage?=x")) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(("GET /v1/keys/" + key.keyId() + target + " HTTP/1.1\r\nHost: query"
                        + "\r\nConnection: close\r\nAuthorization: Bearer " + OPERATOR_TOKEN + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).as(target).startsWith("HTTP/1.1 400").contains("/malformed-query");
            }
        }
    }

    @Test
    void anInstantWithAnOffsetNamesTheSameMomentAsInUtc() {
        IssuedKey key = created(developer(), 60, null);
        JsonNode utc = asOf(key.keyId(), at(90));
        String local = at(90).atOffset(ZoneOffset.ofHours(1)).toString();
        for (String asOf : List.of(local.replace("+", "%2B"), local)) {
            Response response = get("/v1/keys/" + key.keyId() + "?asOf=" + asOf);
            assertThat(response.status()).as(asOf + " " + response.raw()).isEqualTo(200);
            assertThat(response.body().get("asOf").asText()).as(asOf).isEqualTo(utc.get("asOf").asText());
        }
    }

    /** Times are kept to the millisecond: an instant asked with nanoseconds is answered without them. */
    @Test
    void anInstantAskedFinerThanAMillisecondIsAnsweredToTheMillisecond() {
        IssuedKey key = created(developer(), 60, null);
        JsonNode answer = asOf(key.keyId(), at(90).plusNanos(123_456_789));
        assertThat(answer.get("asOf").asText()).isEqualTo(at(90).plusMillis(123).toString());
    }

    @Test
    void anInstantThatIsNoneOrStillToComeIsRefused() {
        IssuedKey key = created(developer(), 60, null);

        for (String asOf : List.of("", "yesterday", "2026-13-01T00:00:00Z", "10000-01-01T00:00:00Z",
                Instant.now().plusSeconds(60).toString(), at(120) + "%00",
                at(120) + "%01", "%01" + at(120), at(120) + "%1F", at(120) + "%20", "2025-01-01T24:00:00Z",
                "2025-12-31T23:59:60Z")) {
            Response response = get("/v1/keys/" + key.keyId() + "?asOf=" + asOf);
            assertThat(response.status()).as(asOf).isEqualTo(400);
            assertThat(response.body().get("type").asText()).as(asOf).endsWith("/invalid-time");
        }
    }

    @Test
    void aLongHistoryIsFoldedAcrossWindowsWithoutAnEventReadTwiceOrMissed() {
        IssuedKey key = created(developer(), 0, null);
        // The store reads 1,000 events at a time: the quota is the first window's last event, the limit the next's
        // first.
        for (int i = 1; i <= 1_001; i++) {
            Instant at = t0.plusMillis(i);
            Object change = i == 1_000 ? new ApiKeyQuotaChangedEvent(key.keyId(), 7L, at)
                    : i == 1_001 ? new ApiKeyRateLimitChangedEvent(key.keyId(), new RateLimit(3, 1, null), at)
                    : new ApiKeyScopesChangedEvent(key.keyId(), List.of("scope-" + i), at);
            append("ApiKey", key.keyId(), i, change, ACTOR, at);
        }

        JsonNode before = asOf(key.keyId(), t0.plusMillis(999));
        JsonNode quota = asOf(key.keyId(), t0.plusMillis(1_000));
        JsonNode limit = asOf(key.keyId(), t0.plusMillis(1_001));

        assertThat(before.get("version").asLong()).isEqualTo(999);
        assertThat(texts(before.get("scopes"))).containsExactly("scope-999");
        assertThat(before.get("requestsPerMonth").isNull()).isTrue();
        assertThat(quota.get("version").asLong()).isEqualTo(1_000);
        assertThat(quota.get("requestsPerMonth").asLong()).isEqualTo(7);
        assertThat(quota.get("rateLimit").isNull()).isTrue();
        assertThat(limit.get("version").asLong()).isEqualTo(1_001);
        assertThat(limit.get("rateLimit").get("limit").asLong()).isEqualTo(3);
        assertThat(limit.get("requestsPerMonth").asLong()).as("carried into the next window").isEqualTo(7);
        assertThat(texts(limit.get("scopes"))).containsExactly("scope-999");
    }

    @Test
    void aFoldStopsRatherThanReadMoreThanItMay() {
        IssuedKey key = created(developer(), 0, null);
        for (int i = 1; i <= 5; i++) {
            append("ApiKey", key.keyId(), i, new ApiKeyScopesChangedEvent(key.keyId(), List.of("scope-" + i),
                    at(i)), ACTOR, at(i));
        }
        PastStates.Creation creation = pastStates.creation(key.keyId()).orElseThrow();

        assertThat(pastStates.key(creation, at(5), 6).key().version()).as("the developer's registration too")
                .isEqualTo(5);
        assertThatThrownBy(() -> pastStates.key(creation, at(5), 5)).isInstanceOf(PastStates.TooManyEvents.class);
        assertThat(pastStates.key(creation, at(2), 3).key().version()).as("only what precedes the instant counts")
                .isEqualTo(2);
    }
}
