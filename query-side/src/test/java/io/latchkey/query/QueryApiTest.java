package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyExpiredEvent;
import io.latchkey.api.ApiKeyQuotaChangedEvent;
import io.latchkey.api.ApiKeyRateLimitChangedEvent;
import io.latchkey.api.ApiKeyRenewedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.ApiKeyScopesChangedEvent;
import io.latchkey.api.DeveloperDetailsChangedEvent;
import io.latchkey.api.DeveloperRateLimitChangedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.TrackingEventProcessor;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;

/** The developers and keys read models and the REST queries over them, driven by real events over real HTTP. */
class QueryApiTest extends QuerySideTestSupport {

    private static final Duration PROJECTED = Duration.ofSeconds(10);

    @Autowired
    DeveloperProjection developerProjection;
    @Autowired
    KeyProjection keyProjection;
    @Autowired
    EventProcessingConfiguration processing;

    private String registerDeveloper(String name) {
        String developerId = UUID.randomUUID().toString();
        append("DeveloperAccount", developerId, 0,
                new DeveloperRegisteredEvent(developerId, name, name + "@example.com", now()));
        return developerId;
    }

    private IssuedKey createKey(String developerId, String name, Instant createdAt, Instant expiresAt) {
        IssuedKey key = IssuedKey.issue(developerId);
        appendKeyEvent(key.keyId(), 0, new ApiKeyCreatedEvent(key.keyId(), developerId, name, key.secretHash(),
                "lk_test_…" + name, List.of("read"), createdAt, expiresAt, null));
        return key;
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(element -> texts.add(element.asText()));
        return texts;
    }

    private JsonNode awaitKeyVersion(String keyId, long version) {
        await().atMost(PROJECTED).until(() -> {
            Response key = get("/v1/keys/" + keyId);
            return key.status() == 200 && key.body().get("version").asLong() == version;
        });
        return get("/v1/keys/" + keyId).body();
    }

    @Test
    void registeredDeveloperIsServed() {
        Instant registeredAt = now();
        String developerId = UUID.randomUUID().toString();
        append("DeveloperAccount", developerId, 0,
                new DeveloperRegisteredEvent(developerId, "Ada", "ada@example.com", registeredAt));

        await().atMost(PROJECTED).until(() -> get("/v1/developers/" + developerId).status() == 200);
        Response developer = get("/v1/developers/" + developerId);

        assertThat(developer.contentType()).startsWith("application/json");
        assertThat(developer.body().get("developerId").asText()).isEqualTo(developerId);
        assertThat(developer.body().get("name").asText()).isEqualTo("Ada");
        assertThat(developer.body().get("email").asText()).isEqualTo("ada@example.com");
        assertThat(developer.body().get("registeredAt").asText()).isEqualTo(registeredAt.toString());
    }

    /** The answers are JSON: a client that takes only problems is told so, not sent data labelled a problem. */
    @Test
    void aClientThatAcceptsOnlyProblemsGetsNotAcceptable() {
        String developerId = registerDeveloper("ida");
        String developer = "/v1/developers/" + developerId;
        await().atMost(PROJECTED).until(() -> get(developer).status() == 200);

        for (String path : List.of(developer, developer + "/keys", developer + "/history")) {
            Response refused = get(path, OPERATOR_TOKEN, "Accept", "application/problem+json");
            assertThat(refused.status()).as(path).isEqualTo(406);
            assertThat(refused.contentType()).startsWith("application/problem+json");
        }
        assertThat(get(developer, OPERATOR_TOKEN, "Accept", "application/*").contentType())
                .isEqualTo("application/json");
    }

    @Test
    void aKeyWithoutALimitOfItsOwnShowsItsDevelopersDefaultAsEffective() {
        String developerId = registerDeveloper("barbara");
        IssuedKey key = createKey(developerId, "default-limited", now().minusSeconds(60), null);
        append("DeveloperAccount", developerId, 1,
                new DeveloperRateLimitChangedEvent(developerId, new RateLimit(30, 60, null), now()));

        await().atMost(PROJECTED)
                .until(() -> get("/v1/developers/" + developerId).body().path("version").asLong() == 1);

        assertThat(get("/v1/developers/" + developerId).body().get("defaultRateLimit").get("limit").asLong())
                .isEqualTo(30);
        JsonNode view = get("/v1/keys/" + key.keyId()).body();
        assertThat(view.get("rateLimit").isNull()).isTrue();
        assertThat(view.get("effectiveRateLimit").get("limit").asLong()).isEqualTo(30);
        appendKeyEvent(key.keyId(), 1, new ApiKeyRateLimitChangedEvent(key.keyId(), new RateLimit(5, 1, null), now()));
        assertThat(awaitKeyVersion(key.keyId(), 1).get("effectiveRateLimit").get("limit").asLong()).isEqualTo(5);
    }

    @Test
    void aDevelopersHistoryShowsWhoChangedTheDefaultEveryKeyFallsBackTo() {
        String developerId = registerDeveloper("dorothy");
        IssuedKey key = createKey(developerId, "audited", now().minusSeconds(60), null);
        String requestId = append("DeveloperAccount", developerId, 1,
                new DeveloperRateLimitChangedEvent(developerId, new RateLimit(30, 60, null), now()));
        append("DeveloperAccount", developerId, 2, new DeveloperRateLimitChangedEvent(developerId, null, now()));
        String history = "/v1/developers/" + developerId + "/history";
        await().atMost(PROJECTED).until(() -> get(history).body().path("events").size() == 3);

        JsonNode events = get(history).body().get("events");
        assertThat(events.get(0).get("type").asText()).isEqualTo("DeveloperRegisteredEvent");
        assertThat(events.get(1).get("type").asText()).isEqualTo("DeveloperRateLimitChangedEvent");
        assertThat(events.get(1).get("stream").asText()).isEqualTo("developer");
        assertThat(events.get(1).get("actor").asText()).isEqualTo("operator");
        assertThat(events.get(1).get("requestId").asText()).isEqualTo(requestId);
        assertThat(events.get(1).get("clientRequestId").asText()).isEqualTo("client-" + requestId);
        assertThat(events.get(1).get("payload").get("rateLimit").get("limit").asLong()).isEqualTo(30);
        assertThat(events.get(2).get("payload").get("rateLimit").isNull()).isTrue();

        Response first = get(history + "?limit=2");
        assertThat(first.body().get("events")).hasSize(2);
        assertThat(first.body().get("more").asBoolean()).isTrue();
        Response rest = get(history + "?after=" + first.body().get("next").asText());
        assertThat(rest.body().get("events")).hasSize(1);
        assertThat(rest.body().get("events").get(0).get("sequence").asLong()).isEqualTo(2);
        assertThat(rest.body().get("more").asBoolean()).isFalse();
        // The last page's cursor resumes with what is appended later; until then it answers an empty page.
        String last = rest.body().get("next").asText();
        Response empty = get(history + "?after=" + last);
        assertThat(empty.body().get("events")).isEmpty();
        assertThat(empty.body().get("next").asText()).isEqualTo(last);
        append("DeveloperAccount", developerId, 3,
                new DeveloperRateLimitChangedEvent(developerId, new RateLimit(7, 60, null), now()));
        JsonNode appended = get(history + "?after=" + last).body().get("events");
        assertThat(appended).hasSize(1);
        assertThat(appended.get(0).get("payload").get("rateLimit").get("limit").asLong()).isEqualTo(7);
        assertThat(get("/v1/keys/" + key.keyId() + "/history?after=" + last).status()).isEqualTo(400);

        // A key's stream is no developer's, nor is a cursor of a key's history or of another developer's.
        assertThat(get("/v1/developers/" + key.keyId() + "/history").status()).isEqualTo(404);
        assertThat(get("/v1/developers/" + UUID.randomUUID() + "/history").status()).isEqualTo(404);
        String keyCursor = get("/v1/keys/" + key.keyId() + "/history?limit=1").body().get("next").asText();
        assertThat(get(history + "?after=" + keyCursor).status()).isEqualTo(400);
        String otherCursor = get("/v1/developers/" + registerDeveloper("eve") + "/history").body().get("next")
                .asText();
        assertThat(get(history + "?after=" + otherCursor).status()).isEqualTo(400);
        assertThat(get(history + "?stream=key").status()).isEqualTo(400);
        assertThat(get(history + "?limit=0").status()).isEqualTo(400);
    }

    /** A changed name and address are served at once, found by the new address, and kept in the account's history. */
    @Test
    void anAccountsChangedDetailsAreServedAndItsHistoryKeepsTheOldOnes() {
        String developerId = registerDeveloper("renamed");
        append("DeveloperAccount", developerId, 1,
                new DeveloperDetailsChangedEvent(developerId, "Renamed Ltd", "billing@renamed.example", now()));

        Response developer = get("/v1/developers/" + developerId);
        assertThat(developer.body().get("name").asText()).isEqualTo("Renamed Ltd");
        assertThat(developer.body().get("email").asText()).isEqualTo("billing@renamed.example");
        assertThat(developer.etag()).isEqualTo("\"1\"");
        assertThat(get("/v1/developers?email=BILLING@renamed.example").body().get("developers")
                .findValuesAsText("developerId")).containsExactly(developerId);
        JsonNode history = get("/v1/developers/" + developerId + "/history").body().get("events");
        assertThat(history.findValuesAsText("type"))
                .containsExactly("DeveloperRegisteredEvent", "DeveloperDetailsChangedEvent");
        assertThat(history.get(0).get("payload").get("email").asText()).isEqualTo("renamed@example.com");
    }

    /** The operator finds an account without its id: newest first, page after page, or by its address. */
    @Test
    void developersAreListedNewestFirstAndFoundByTheirAddressInAnyCase() {
        Instant later = Instant.parse("2100-01-01T00:00:00Z");
        List<String> newestFirst = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String developerId = UUID.randomUUID().toString();
            append("DeveloperAccount", developerId, 0, new DeveloperRegisteredEvent(developerId, "Listed " + i,
                    "Listed." + i + "+keys@Example.com", later.plusSeconds(i)));
            newestFirst.add(0, developerId);
        }
        await().atMost(PROJECTED).until(() -> get("/v1/developers/" + newestFirst.get(0)).status() == 200);

        JsonNode first = get("/v1/developers?limit=2").body();
        assertThat(first.get("developers").findValuesAsText("developerId")).isEqualTo(newestFirst.subList(0, 2));
        assertThat(first.get("more").asBoolean()).isTrue();
        JsonNode second = get("/v1/developers?limit=1&after=" + first.get("next").asText()).body();
        assertThat(second.get("developers").findValuesAsText("developerId")).containsExactly(newestFirst.get(2));

        JsonNode found = get("/v1/developers?email=listed.1%2Bkeys@example.COM").body();
        assertThat(found.get("developers").findValuesAsText("developerId")).containsExactly(newestFirst.get(1));
        assertThat(found.get("more").asBoolean()).isFalse();
        assertThat(found.get("next").isNull()).isTrue();
        assertThat(get("/v1/developers?email=Listed.1").body().get("developers")).as("the whole address").isEmpty();
        for (String bad : List.of("email=", "limit=0", "after=nope", "name=x")) {
            assertThat(get("/v1/developers?" + bad).status()).as(bad).isEqualTo(400);
        }
    }

    /** One given twice names no one value: refused before it is read, by its name, which is the route's. */
    @Test
    void aParameterGivenTwiceIsRefusedByItsNameOnEveryRoute() {
        String keyId = UUID.randomUUID().toString();
        String developerId = UUID.randomUUID().toString();
        Map<String, String> repeated = Map.of(
                "/v1/developers?email=ada@example.com&email=bob@example.com", "email",
                "/v1/developers?limit=1&limit=2", "limit",
                "/v1/developers/" + developerId + "/history?limit=5&limit=5", "limit",
                "/v1/keys/" + keyId + "?asOf=2026-01-01T00:00:00Z&asOf=2026-02-01T00:00:00Z", "asOf",
                "/v1/keys/" + keyId + "/history?stream=key&stream=usage", "stream",
                "/v1/keys/" + keyId + "/history?from=2026-01-01T00:00:00Z&from=2026-01-02T00:00:00Z", "from",
                "/v1/keys/" + keyId + "/usage?from=2026-01-01T00:00:00Z&from=2026-01-02T00:00:00Z", "from",
                "/v1/keys/" + keyId + "/propagation?wait=10&wait=20", "wait",
                "/v1/developers/" + developerId + "/keys?after=a&after=b", "after",
                "/v1/usage/unattributed?granularity=hour&granularity=day", "granularity");
        repeated.forEach((path, name) -> {
            Response refused = get(path);
            assertThat(refused.status()).as(path + " " + refused.raw()).isEqualTo(400);
            assertThat(refused.body().get("type").asText()).as(path).endsWith("/repeated-parameter");
            assertThat(refused.body().get("detail").asText()).as(path).startsWith(name + " was given more than once");
        });
    }

    /** No address holds a control character; none reaches the store. */
    @Test
    void anAddressHoldingAControlCharacterIsABadEmailAndNoNulIsLogged() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        root.addAppender(log);
        try {
            for (String query : List.of("email=%00", "email=ada%00@example.com", "email=ada%01@example.com",
                    "email=ada@example.com%0A")) {
                Response refused = get("/v1/developers?" + query);
                assertThat(refused.status()).as(query + " " + refused.raw()).isEqualTo(400);
                assertThat(refused.body().get("type").asText()).as(query).endsWith("/invalid-email");
            }
        } finally {
            root.detachAppender(log);
        }
        assertThat(log.list).noneSatisfy(event -> assertThat(logged(event)).contains("\0"));
    }

    private static String logged(ILoggingEvent event) {
        StringBuilder text = new StringBuilder(event.getFormattedMessage());
        for (IThrowableProxy thrown = event.getThrowableProxy(); thrown != null; thrown = thrown.getCause()) {
            text.append('\n').append(thrown.getMessage());
        }
        return text.toString();
    }

    /** RFC 9110: q=0 is "not acceptable"; a header that cannot be read is answered with a problem too. */
    @Test
    void aClientThatWeighsJsonZeroOrSendsAnUnreadableAcceptIsToldSoInAProblem() {
        String developer = "/v1/developers/" + registerDeveloper("quinn");
        await().atMost(PROJECTED).until(() -> get(developer).status() == 200);

        for (String accept : List.of("application/json;q=0, text/html", "text/html, */*;q=0", "*/*;q=0",
                "application/*;q=0.5, application/json;q=0", "garbage", "application/json;q=x")) {
            Response refused = get(developer, OPERATOR_TOKEN, "Accept", accept);
            assertThat(refused.status()).as(accept).isEqualTo(406);
            assertThat(refused.contentType()).as(accept).startsWith("application/problem+json");
            assertThat(refused.body().get("type").asText()).as(accept).endsWith("/not-acceptable");
        }
        for (String accept : List.of("application/json, */*;q=0", "*/*;q=0, application/*;q=0.1",
                "text/html, application/json;q=0.001")) {
            assertThat(get(developer, OPERATOR_TOKEN, "Accept", accept).status()).as(accept).isEqualTo(200);
        }
    }

    @Test
    void developerKeysAreListedNewestFirst() {
        String developerId = registerDeveloper("grace");
        Instant first = now().minusSeconds(60);
        IssuedKey older = createKey(developerId, "older", first, null);
        IssuedKey newer = createKey(developerId, "newer", first.plusSeconds(30), null);
        createKey(registerDeveloper("someone-else"), "theirs", first.plusSeconds(45), null);

        await().atMost(PROJECTED).until(() -> get("/v1/developers/" + developerId + "/keys").status() == 200
                && get("/v1/developers/" + developerId + "/keys").body().get("keys").size() == 2);
        Response listed = get("/v1/developers/" + developerId + "/keys");

        assertThat(listed.body().get("developerId").asText()).isEqualTo(developerId);
        List<String> ids = new ArrayList<>();
        listed.body().get("keys").forEach(key -> ids.add(key.get("keyId").asText()));
        assertThat(ids).containsExactly(newer.keyId(), older.keyId());
    }

    @Test
    void developerKeysArePagedWithoutGapOrRepeatEvenAmongKeysCreatedTogether() {
        String developerId = registerDeveloper("paged");
        Instant first = now().minusSeconds(60);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            expected.add(createKey(developerId, "together-" + i, first.plusSeconds(30), null).keyId());
        }
        expected.sort(null);
        expected.add(createKey(developerId, "oldest", first, null).keyId());
        expected.add(0, createKey(developerId, "newest", first.plusSeconds(40), null).keyId());
        await().atMost(PROJECTED).until(() -> get("/v1/developers/" + developerId + "/keys").body()
                .path("keys").size() == 6);

        List<String> paged = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        String after = null;
        do {
            Response page = get("/v1/developers/" + developerId + "/keys?limit=4"
                    + (after == null ? "" : "&after=" + after));
            assertThat(page.status()).as(page.raw()).isEqualTo(200);
            page.body().get("keys").forEach(key -> paged.add(key.get("keyId").asText()));
            sizes.add(page.body().get("keys").size());
            assertThat(page.body().get("more").asBoolean()).isEqualTo(!page.body().get("next").isNull());
            after = page.body().get("next").isNull() ? null : page.body().get("next").asText();
        } while (after != null);

        assertThat(sizes).containsExactly(4, 2);
        assertThat(paged).containsExactlyElementsOf(expected);
        assertThat(get("/v1/developers/" + developerId + "/keys?limit=6").body().get("next").isNull()).isTrue();
    }

    /** A cursor names a place in the listing that gave it: another's, or a forged one, is no place in this one. */
    @Test
    void aListCursorOfAnotherListingOrForgedIsRefusedNotTakenAsAPlace() {
        String ada = registerDeveloper("ada-cursor");
        String bob = registerDeveloper("bob-cursor");
        for (int i = 0; i < 2; i++) {
            createKey(ada, "ada-" + i, now().minusSeconds(10 - i), null);
            createKey(bob, "bob-" + i, now().minusSeconds(10 - i), null);
        }
        await().atMost(PROJECTED).until(() -> get("/v1/developers/" + bob + "/keys").body().path("keys").size() == 2
                && get("/v1/developers/" + ada + "/keys").body().path("keys").size() == 2);
        JsonNode bobsFirst = get("/v1/developers/" + bob + "/keys?limit=1").body();
        String bobsCursor = bobsFirst.get("next").asText();
        String bobsKey = bobsFirst.get("keys").get(0).get("keyId").asText();
        String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(
                (now().toEpochMilli() + ":" + bobsKey).getBytes(StandardCharsets.US_ASCII));
        String developersCursor = get("/v1/developers?limit=1").body().get("next").asText();

        assertThat(get("/v1/developers/" + bob + "/keys?after=" + bobsCursor).status()).isEqualTo(200);
        for (String[] misplaced : List.of(new String[] {"/v1/developers/" + ada + "/keys", bobsCursor},
                new String[] {"/v1/developers/" + bob + "/keys", forged},
                new String[] {"/v1/developers/" + bob + "/keys", developersCursor},
                new String[] {"/v1/developers", bobsCursor})) {
            Response response = get(misplaced[0] + "?after=" + misplaced[1]);
            assertThat(response.status()).as(misplaced[0] + " " + response.raw()).isEqualTo(400);
            assertThat(response.body().get("type").asText()).endsWith("/invalid-cursor");
        }
    }

    @Test
    void badPagingParametersAnswerBadRequestAndNameTheParameter() {
        String developerId = registerDeveloper("careless");
        IssuedKey key = createKey(developerId, "paged", now(), null);
        await().atMost(PROJECTED).until(() -> get("/v1/keys/" + key.keyId()).status() == 200);
        String notOurs = Base64.getUrlEncoder().encodeToString("k1u2;drop".getBytes(StandardCharsets.US_ASCII));

        for (String base : List.of("/v1/developers/" + developerId + "/keys?", "/v1/keys/" + key.keyId() + "/history?")) {
            for (String limit : List.of("0", "1001", "-1", "ten", "1e3", "99999999999", "")) {
                Response response = get(base + "limit=" + limit);
                assertThat(response.status()).as(base + limit).isEqualTo(400);
                assertThat(response.body().get("type").asText()).endsWith("/invalid-limit");
            }
            for (String after : List.of("%25%25%25", notOurs, "", "azE", "k1u2")) {
                Response response = get(base + "after=" + after);
                assertThat(response.status()).as(base + after).isEqualTo(400);
                assertThat(response.body().get("type").asText()).endsWith("/invalid-cursor");
            }
        }
        for (String stream : List.of("", "everything", "KEY", "key,usage")) {
            Response response = get("/v1/keys/" + key.keyId() + "/history?stream=" + stream);
            assertThat(response.status()).as(stream).isEqualTo(400);
            assertThat(response.body().get("type").asText()).endsWith("/invalid-stream");
        }
    }

    @Test
    void keyShowsEveryChangeWithTheVersionOfItsLastEvent() {
        String developerId = registerDeveloper("linus");
        Instant createdAt = now().minusSeconds(300);
        IssuedKey key = createKey(developerId, "ci", createdAt, createdAt.plusSeconds(3600));
        IssuedKey rotated = key.rotated();
        Instant changedAt = createdAt.plusSeconds(10);
        Instant renewedUntil = createdAt.plusSeconds(7200);
        Instant graceEnds = createdAt.plusSeconds(400);
        Instant revokedAt = createdAt.plusSeconds(50);
        appendKeyEvent(key.keyId(), 1, new ApiKeyScopesChangedEvent(key.keyId(), List.of("orders:write"), changedAt));
        appendKeyEvent(key.keyId(), 2, new ApiKeyRateLimitChangedEvent(key.keyId(), new RateLimit(10, 60, 20L),
                changedAt.plusSeconds(10)));
        appendKeyEvent(key.keyId(), 3, new ApiKeyRenewedEvent(key.keyId(), renewedUntil, changedAt.plusSeconds(20)));
        appendKeyEvent(key.keyId(), 4, new ApiKeyRotatedEvent(key.keyId(), rotated.secretHash(), "lk_test_…new",
                key.secretHash(), graceEnds, changedAt.plusSeconds(30), graceEnds));
        appendKeyEvent(key.keyId(), 5, new ApiKeyRevokedEvent(key.keyId(), "leaked in CI logs", revokedAt));

        JsonNode view = awaitKeyVersion(key.keyId(), 5);

        assertThat(view.get("keyId").asText()).isEqualTo(key.keyId());
        assertThat(view.get("developerId").asText()).isEqualTo(developerId);
        assertThat(view.get("name").asText()).isEqualTo("ci");
        assertThat(view.get("hint").asText()).isEqualTo("lk_test_…new");
        assertThat(texts(view.get("scopes"))).containsExactly("orders:write");
        assertThat(view.get("status").asText()).isEqualTo("REVOKED");
        assertThat(view.get("createdAt").asText()).isEqualTo(createdAt.toString());
        assertThat(view.get("expiresAt").asText()).isEqualTo(renewedUntil.toString());
        assertThat(view.get("rotatedAt").asText()).isEqualTo(changedAt.plusSeconds(30).toString());
        assertThat(view.get("previousKeyValidUntil").asText()).as("the revocation ended the old secret's grace too")
                .isEqualTo(revokedAt.toString());
        assertThat(view.get("revokedAt").asText()).isEqualTo(revokedAt.toString());
        assertThat(view.get("revocationReason").asText()).isEqualTo("leaked in CI logs");
        assertThat(view.get("rateLimit").get("limit").asLong()).isEqualTo(10);
        assertThat(view.get("rateLimit").get("periodSeconds").asLong()).isEqualTo(60);
        assertThat(view.get("rateLimit").get("burst").asLong()).isEqualTo(20);
        assertThat(view.get("version").asLong()).isEqualTo(5);
        assertThat(view.has("secretHash")).isFalse();
        assertThat(view.has("updatedAt")).isFalse();
    }

    @Test
    void keyShowsItsMonthlyQuotaAndWhenTheMonthResets() {
        String developerId = registerDeveloper("grace");
        IssuedKey key = createKey(developerId, "metered", now().minusSeconds(60), null);
        appendKeyEvent(key.keyId(), 1, new ApiKeyQuotaChangedEvent(key.keyId(), 5_000L, now()));

        YearMonth before = YearMonth.now(ZoneOffset.UTC);
        JsonNode quota = awaitKeyVersion(key.keyId(), 1).get("quota");

        // The month the query side answered in: the one the request began in, or the next if it ended meanwhile.
        YearMonth month = YearMonth.parse(quota.get("period").asText());
        assertThat(month).isBetween(before, YearMonth.now(ZoneOffset.UTC));
        assertThat(quota.get("requestsPerMonth").asLong()).isEqualTo(5_000);
        assertThat(quota.get("resetsAt").asText())
                .isEqualTo(month.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC).toString());
        appendKeyEvent(key.keyId(), 2, new ApiKeyQuotaChangedEvent(key.keyId(), null, now()));
        assertThat(awaitKeyVersion(key.keyId(), 2).get("quota").isNull()).isTrue();
    }

    @Test
    void keyPastItsExpiryReadsExpiredBeforeTheExpiryEventArrives() {
        String developerId = registerDeveloper("past");
        Instant createdAt = now().minusSeconds(120);
        IssuedKey key = createKey(developerId, "short-lived", createdAt, createdAt.plusSeconds(60));

        JsonNode view = awaitKeyVersion(key.keyId(), 0);

        assertThat(keyProjection.find(key.keyId())).get().extracting(KeyView::status).isEqualTo(KeyStatus.ACTIVE);
        assertThat(view.get("status").asText()).isEqualTo("EXPIRED");
    }

    @Test
    void expiredKeyRenewedReadsActiveAgain() {
        String developerId = registerDeveloper("renewer");
        Instant createdAt = now().minusSeconds(120);
        IssuedKey key = createKey(developerId, "renewed", createdAt, createdAt.plusSeconds(60));
        appendKeyEvent(key.keyId(), 1, new ApiKeyExpiredEvent(key.keyId(), createdAt.plusSeconds(60)));
        assertThat(awaitKeyVersion(key.keyId(), 1).get("status").asText()).isEqualTo("EXPIRED");

        appendKeyEvent(key.keyId(), 2, new ApiKeyRenewedEvent(key.keyId(), now().plusSeconds(3600), now()));

        assertThat(awaitKeyVersion(key.keyId(), 2).get("status").asText()).isEqualTo("ACTIVE");
    }

    @Test
    void theRotatedOutKeyEndsNoLaterThanTheKeyAsTheRotationAnsweredNotEvenAfterARenewal() {
        String developerId = registerDeveloper("graceful");
        Instant expiresAt = now().plusSeconds(3600);
        IssuedKey key = createKey(developerId, "expiring", now(), expiresAt);
        Instant graceEnds = now().plusSeconds(86_400);
        appendKeyEvent(key.keyId(), 1, new ApiKeyRotatedEvent(key.keyId(), key.rotated().secretHash(), "lk_test_…g",
                key.secretHash(), graceEnds, now(), graceEnds));

        assertThat(awaitKeyVersion(key.keyId(), 1).get("previousKeyValidUntil").asText())
                .isEqualTo(expiresAt.toString());

        // A renewal does not revive the secret rotated out (until 2026-12-05 it worked again until its grace's end).
        Instant renewedUntil = now().plusSeconds(7 * 86_400);
        appendKeyEvent(key.keyId(), 2, new ApiKeyRenewedEvent(key.keyId(), renewedUntil, now()));
        assertThat(awaitKeyVersion(key.keyId(), 2).get("previousKeyValidUntil").asText())
                .isEqualTo(expiresAt.toString());
    }

    @Test
    void anEventOfATypeThisReleaseDoesNotKnowIsShownByNameAndFieldsNotFailed() {
        IssuedKey key = createKey(registerDeveloper("upgrading"), "later", now(), null);
        appendKeyEvent(key.keyId(), 1, new ApiKeyScopesChangedEvent(key.keyId(), List.of("read"), now()));
        awaitKeyVersion(key.keyId(), 1);
        // As a command side of a later release would have stored an event of a type added since.
        mongoClient.getDatabase("latchkey").getCollection("domainevents").updateOne(
                Filters.and(Filters.eq("aggregateIdentifier", key.keyId()), Filters.eq("sequenceNumber", 1L)),
                Updates.set("payloadType", "io.latchkey.api.ApiKeySuspendedEvent"));

        Response history = get("/v1/keys/" + key.keyId() + "/history?stream=key");

        assertThat(history.status()).as(history.raw()).isEqualTo(200);
        JsonNode later = history.body().get("events").get(1);
        assertThat(later.get("type").asText()).isEqualTo("ApiKeySuspendedEvent");
        assertThat(later.get("payload").get("keyId").asText()).isEqualTo(key.keyId());
    }

    @Test
    void historyListsEveryEventOldestFirstWithWhoAndFromWhere() {
        String developerId = registerDeveloper("auditor");
        IssuedKey key = createKey(developerId, "audited", now(), null);
        String scoped = appendKeyEvent(key.keyId(), 1,
                new ApiKeyScopesChangedEvent(key.keyId(), List.of("write"), now()));
        appendKeyEvent(key.keyId(), 2, new ApiKeyRotatedEvent(key.keyId(), key.rotated().secretHash(), "lk_test_…x",
                key.secretHash(), now().plusSeconds(60), now(), now().plusSeconds(60)));
        appendKeyEvent(key.keyId(), 3, new ApiKeyRevokedEvent(key.keyId(), "done", now()));

        Response history = get("/v1/keys/" + key.keyId() + "/history");

        assertThat(history.status()).isEqualTo(200);
        assertThat(history.body().get("keyId").asText()).isEqualTo(key.keyId());
        List<String> types = new ArrayList<>();
        List<Long> sequences = new ArrayList<>();
        history.body().get("events").forEach(event -> {
            types.add(event.get("type").asText());
            sequences.add(event.get("sequence").asLong());
            assertThat(event.get("actor").asText()).isEqualTo(ACTOR);
            assertThat(event.get("sourceAddress").asText()).isEqualTo(SOURCE_ADDRESS);
            assertThat(Instant.parse(event.get("timestamp").asText())).isBefore(Instant.now().plusSeconds(1));
        });
        assertThat(types).containsExactly("ApiKeyCreatedEvent", "ApiKeyScopesChangedEvent", "ApiKeyRotatedEvent",
                "ApiKeyRevokedEvent");
        assertThat(sequences).containsExactly(0L, 1L, 2L, 3L);
        JsonNode scopeChange = history.body().get("events").get(1);
        assertThat(scopeChange.get("requestId").asText()).isEqualTo(scoped);
        assertThat(texts(scopeChange.get("payload").get("scopes"))).containsExactly("write");
        JsonNode rotation = history.body().get("events").get(2).get("payload");
        assertThat(rotation.get("hint").asText()).isEqualTo("lk_test_…x");
        assertThat(rotation.has("secretHash")).isFalse();
        assertThat(rotation.has("previousSecretHash")).isFalse();
        assertThat(history.raw()).doesNotContain(key.secretHash()).doesNotContain(key.rotated().secretHash());
    }

    @Test
    void noResponseCarriesASecretHash() {
        String developerId = registerDeveloper("careful");
        IssuedKey key = createKey(developerId, "secretive", now(), null);
        IssuedKey rotated = key.rotated();
        appendKeyEvent(key.keyId(), 1, new ApiKeyRotatedEvent(key.keyId(), rotated.secretHash(), "lk_test_…r",
                key.secretHash(), now().plusSeconds(60), now(), now().plusSeconds(60)));
        awaitKeyVersion(key.keyId(), 1);

        List<Response> responses = List.of(
                get("/v1/keys/" + key.keyId()),
                get("/v1/keys/" + key.keyId() + "/history"),
                get("/v1/developers/" + developerId + "/keys"),
                post("/v1/validate", Map.of("key", rotated.plaintext())),
                post("/v1/validate", Map.of("key", key.plaintext())));

        assertThat(responses).allSatisfy(response -> {
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.raw()).doesNotContain(key.secretHash()).doesNotContain(rotated.secretHash())
                    .doesNotContain(key.plaintext()).doesNotContain(rotated.plaintext());
        });
    }

    @Test
    void redeliveredEventChangesNothing() {
        String developerId = registerDeveloper("once");
        IssuedKey key = createKey(developerId, "once", now(), null);
        appendKeyEvent(key.keyId(), 1, new ApiKeyScopesChangedEvent(key.keyId(), List.of("write"), now()));
        await().atMost(PROJECTED).until(() -> keyProjection.find(key.keyId()).map(KeyView::version).orElse(-1L) == 1);
        KeyView projected = keyProjection.find(key.keyId()).orElseThrow();
        await().atMost(PROJECTED).until(() -> developerProjection.find(developerId).isPresent());
        DeveloperView developer = developerProjection.find(developerId).orElseThrow();

        // The same sequence numbers again, even with other payloads, as a redelivery after a lost token update would.
        keyProjection.on(new ApiKeyScopesChangedEvent(key.keyId(), List.of("admin"), now()), 1);
        keyProjection.on(new ApiKeyCreatedEvent(key.keyId(), developerId, "again", key.secretHash(), "h",
                List.of("admin"), now(), null, null), 0);
        developerProjection.on(new DeveloperRegisteredEvent(developerId, "twice", "twice@example.com", now()), 0);

        assertThat(keyProjection.find(key.keyId())).contains(projected);
        assertThat(projected.scopes()).containsExactly("write");
        assertThat(developerProjection.find(developerId)).contains(developer);
    }

    /**
     * A client that follows a create's Location, or reads what it has just changed, is answered as the log holds it:
     * the read waits for a key projection that is behind (here stopped, then started while the read waits), and
     * answers 503 rather than 404 or the version before while it stays behind.
     */
    @Test
    void aKeyIsReadAsTheLogHoldsItWhileItsProjectionIsBehind() {
        String developerId = registerDeveloper("hopper");
        assertThat(get("/v1/developers/" + developerId).etag()).isEqualTo("\"0\"");
        TrackingEventProcessor projection = processing
                .eventProcessor(KeyProjection.GROUP, TrackingEventProcessor.class).orElseThrow();
        projection.shutDown();
        try {
            IssuedKey key = createKey(developerId, "fresh", now(), null);
            Response behind = get("/v1/keys/" + key.keyId());
            assertThat(behind.status()).as(behind.raw()).isEqualTo(503);
            assertThat(behind.body().get("type").asText()).endsWith("read-model-behind");
            assertThat(behind.retryAfter()).isEqualTo("1");
            assertThat(get("/v1/keys/" + developerId).status()).as("another kind of stream is not waited for")
                    .isEqualTo(404);

            CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS).execute(projection::start);
            Response created = get("/v1/keys/" + key.keyId());
            assertThat(created.status()).as(created.raw()).isEqualTo(200);
            assertThat(created.etag()).isEqualTo("\"0\"");
            assertThat(get("/v1/keys/" + key.keyId(), OPERATOR_TOKEN, "If-None-Match", "\"0\"").status())
                    .as("the body tells more than the version: never 304").isEqualTo(200);

            projection.shutDown();
            appendKeyEvent(key.keyId(), 1, new ApiKeyScopesChangedEvent(key.keyId(), List.of("write"), now()));
            CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS).execute(projection::start);
            Response changed = get("/v1/keys/" + key.keyId());
            assertThat(changed.body().get("version").asLong()).isEqualTo(1);
            assertThat(texts(changed.body().get("scopes"))).containsExactly("write");
            assertThat(changed.etag()).isEqualTo("\"1\"");
        } finally {
            projection.start();
        }
    }

    /** An event of a type a later release added is in no view here: a read does not wait for it. */
    @Test
    void aKeyWhoseLastEventIsOfALaterReleaseIsReadWithoutWaiting() {
        IssuedKey key = createKey(registerDeveloper("upgraded"), "newer", now(), null);
        awaitKeyVersion(key.keyId(), 0);
        TrackingEventProcessor projection = processing
                .eventProcessor(KeyProjection.GROUP, TrackingEventProcessor.class).orElseThrow();
        projection.shutDown();
        try {
            appendKeyEvent(key.keyId(), 1, new ApiKeyScopesChangedEvent(key.keyId(), List.of("write"), now()));
            mongoClient.getDatabase("latchkey").getCollection("domainevents").updateOne(
                    Filters.and(Filters.eq("aggregateIdentifier", key.keyId()), Filters.eq("sequenceNumber", 1L)),
                    Updates.set("payloadType", "io.latchkey.api.ApiKeySuspendedEvent"));
            Response read = get("/v1/keys/" + key.keyId());
            assertThat(read.status()).as(read.raw()).isEqualTo(200);
            assertThat(read.body().get("version").asLong()).isZero();
        } finally {
            projection.start();
        }
    }

    @Test
    void unknownIdsAnswerNotFoundAsProblemDetails() {
        String unknown = UUID.randomUUID().toString();
        String developerId = registerDeveloper("not-a-key");
        await().atMost(PROJECTED).until(() -> get("/v1/developers/" + developerId).status() == 200);

        List<String> paths = List.of(
                "/v1/developers/" + unknown,
                "/v1/developers/" + unknown + "/keys",
                "/v1/keys/" + unknown,
                "/v1/keys/" + unknown + "/history",
                "/v1/keys/" + developerId + "/history",
                "/v1/keys/not-a-uuid",
                "/v1/keys/not-a-uuid/history",
                "/v1/developers/1-2-3-4-5",
                "/v1/developers/%20/keys");

        assertThat(paths).allSatisfy(path -> {
            Response response = get(path);
            assertThat(response.status()).as(path).isEqualTo(404);
            assertThat(response.contentType()).as(path).startsWith("application/problem+json");
            assertThat(response.body().get("status").asInt()).as(path).isEqualTo(404);
        });
    }

    @Test
    void queriesNeedTheOperatorToken() {
        String developerId = registerDeveloper("guarded");
        IssuedKey key = createKey(developerId, "guarded", now(), null);
        awaitKeyVersion(key.keyId(), 0);

        List<String> paths = List.of("/v1/developers/" + developerId, "/v1/developers/" + developerId + "/keys",
                "/v1/keys/" + key.keyId(), "/v1/keys/" + key.keyId() + "/history");

        assertThat(paths).allSatisfy(path -> {
            for (String token : new String[] {null, "not-the-operator-token"}) {
                Response response = get(path, token);
                assertThat(response.status()).as(path).isEqualTo(401);
                assertThat(response.contentType()).as(path).startsWith("application/problem+json");
            }
        });
    }
}
