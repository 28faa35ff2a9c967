package io.latchkey.e2e;

import static io.latchkey.e2e.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.latchkey.e2e.Api.Response;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.testing.MonthTurn;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole path of DESIGN.md with real processes: command side → embedded event store → query side → replicated
 * map → edge, across graceful restarts and {@code kill -9}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeyLifecycleIT {

    private static LatchkeySystem system;
    private static Api api;

    @BeforeAll
    static void start() throws Exception {
        Path workDir = Path.of(System.getProperty("latchkey.workDir", "target/e2e")).resolve("run-" + System.nanoTime());
        system = new LatchkeySystem(workDir);
        api = new Api(system);
        long started = System.nanoTime();
        system.start();
        System.out.printf("e2e: three services healthy in %d ms%n", (System.nanoTime() - started) / 1_000_000);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (system != null) {
            system.stop();
        }
    }

    private static String registerDeveloper(String name) {
        Response registered = api.command("POST", "/v1/developers", map("name", name, "email", name + "@example.com"));
        assertThat(registered.status()).as(registered.raw()).isEqualTo(201);
        return registered.body().get("developerId").asText();
    }

    private static Response createKey(String developerId, List<String> scopes) {
        Response created = api.command("POST", "/v1/developers/" + developerId + "/keys",
                map("name", "ci", "scopes", scopes));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        return created;
    }

    /** Waits until {@code condition} holds and returns how long that took; fails after {@code limit}. */
    private static Duration await(Duration limit, BooleanSupplier condition, String what) throws InterruptedException {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - start > limit.toNanos()) {
                throw new AssertionError(what + " did not happen within " + limit);
            }
            Thread.sleep(5);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Test
    @Order(1)
    void keyLifecycleReachesTheEdgeAndSurvivesARestart() throws Exception {
        String developerId = registerDeveloper("ada");
        Response created = createKey(developerId, List.of("orders:read"));
        String keyId = created.body().get("keyId").asText();
        String key = created.body().get("key").asText();
        assertThat(key).startsWith("lk_live_");

        await(Duration.ofSeconds(5), () -> api.authorize(key, "orders:read") == 200, "the new key reaching the edge");
        assertThat(api.authorize(key, "orders:write")).as("without the scope").isEqualTo(403);

        Response scoped = api.command("PUT", "/v1/keys/" + keyId + "/scopes", map("scopes", List.of("orders:write")));
        assertThat(scoped.status()).as(scoped.raw()).isEqualTo(200);
        await(Duration.ofSeconds(5), () -> api.authorize(key, "orders:write") == 200, "the scope change reaching the edge");

        Response rotated = api.command("POST", "/v1/keys/" + keyId + "/rotate", map("gracePeriodSeconds", 60));
        assertThat(rotated.status()).as(rotated.raw()).isEqualTo(200);
        String secondKey = rotated.body().get("key").asText();
        assertThat(rotated.body().get("keyId").asText()).isEqualTo(keyId);
        await(Duration.ofSeconds(5), () -> api.authorize(secondKey, "orders:read") == 200,
                "the new secret reaching the edge");
        assertThat(api.authorize(key, "orders:read")).as("old secret during its grace").isEqualTo(200);

        // A second rotation's shorter grace ends every earlier secret's too.
        Response again = api.command("POST", "/v1/keys/" + keyId + "/rotate", map("gracePeriodSeconds", 1));
        assertThat(again.status()).as(again.raw()).isEqualTo(200);
        String newKey = again.body().get("key").asText();
        Instant graceEnds = Instant.parse(again.body().get("previousKeyValidUntil").asText());
        await(Duration.ofSeconds(5), () -> api.authorize(newKey, "orders:read") == 200,
                "the third secret reaching the edge");
        await(Duration.ofSeconds(10), () -> Instant.now().isAfter(graceEnds.plusMillis(50)), "the grace period ending");
        assertThat(api.authorize(key, "orders:read")).as("first secret after the second grace").isEqualTo(401);
        assertThat(api.authorize(secondKey, "orders:read")).as("second secret after its grace").isEqualTo(401);
        assertThat(api.authorize(newKey, "orders:read")).as("new secret after grace").isEqualTo(200);

        Response live = createKey(developerId, List.of("read"));
        String liveKey = live.body().get("key").asText();
        await(Duration.ofSeconds(5), () -> api.authorize(liveKey, "read") == 200, "the second key reaching the edge");

        long revokeSent = System.nanoTime();
        Response revoked = api.command("POST", "/v1/keys/" + keyId + "/revoke", map("reason", "leaked in CI logs"));
        assertThat(revoked.status()).as(revoked.raw()).isEqualTo(200);
        long acknowledged = System.nanoTime();
        // Generous: how fast is LifecycleBenchmarkIT's to measure, not a test's to assert on two busy cores.
        Duration toEdge = await(Duration.ofSeconds(10), () -> api.authorize(newKey, "orders:read") == 401,
                "the revocation reaching the edge");
        System.out.printf("e2e: revoke acknowledged in %d ms; refused at the edge %d ms after the acknowledgement%n",
                (acknowledged - revokeSent) / 1_000_000, toEdge.toMillis());

        Response history = api.query("/v1/keys/" + keyId + "/history?stream=key");
        assertThat(history.status()).isEqualTo(200);
        List<String> types = new ArrayList<>();
        history.body().get("events").forEach(e -> {
            types.add(e.get("type").asText());
            assertThat(e.get("actor").asText()).isEqualTo("operator");
            assertThat(e.hasNonNull("requestId")).isTrue();
            assertThat(e.hasNonNull("sourceAddress")).isTrue();
        });
        assertThat(types).containsExactly("ApiKeyCreatedEvent", "ApiKeyScopesChangedEvent", "ApiKeyRotatedEvent",
                "ApiKeyRotatedEvent", "ApiKeyRevokedEvent");
        // The edge's reports are recorded as the edge's, with the usage token the services keep in the data
        // directory: not as the operator's, whose token the edge does not hold.
        String usage = "/v1/keys/" + keyId + "/history?stream=usage";
        await(Duration.ofSeconds(10), () -> api.query(usage).body().get("events").size() > 0, "a usage report");
        api.query(usage).body().get("events").forEach(e -> assertThat(e.get("actor").asText()).isEqualTo("edge"));

        system.stop();
        system.start();
        assertThat(api.authorize(newKey, "orders:read")).as("revoked key after restart").isEqualTo(401);
        assertThat(api.authorize(key, "orders:read")).as("rotated-out secret after restart").isEqualTo(401);
        assertThat(api.authorize(secondKey, "orders:read")).as("second secret after restart").isEqualTo(401);
        assertThat(api.authorize(liveKey, "read")).as("live key after restart").isEqualTo(200);
        assertThat(api.query("/v1/keys/" + keyId).body().get("status").asText()).isEqualTo("REVOKED");
    }

    @Test
    @Order(2)
    void anEdgeWhoseReplicaIsIncompleteAnswersThroughTheQuerySideOrRefuses() throws Exception {
        String developerId = registerDeveloper("barbara");
        Response created = createKey(developerId, List.of("read"));
        String key = created.body().get("key").asText();
        Response revokedKey = createKey(developerId, List.of("read"));
        api.command("POST", "/v1/keys/" + revokedKey.body().get("keyId").asText() + "/revoke", map());
        await(Duration.ofSeconds(5), () -> api.authorize(key, "read") == 200
                && api.authorize(revokedKey.body().get("key").asText(), "read") == 401, "both keys reaching the replica");
        // Limited keys, never asked at the other edges: the fallback's answers must be limited as the replica's are.
        Response twoAnHour = api.command("POST", "/v1/developers/" + developerId + "/keys", map("name", "limited",
                "scopes", List.of("read"), "rateLimit", map("limit", 2, "periodSeconds", 3600)));
        Response onceAMonth = api.command("POST", "/v1/developers/" + developerId + "/keys", map("name", "metered",
                "scopes", List.of("read"), "quota", map("requestsPerMonth", 1)));
        // Revoked before any edge saw it: its refusals through the fallback must count in its own usage.
        Response revokedUnseen = createKey(developerId, List.of("read"));
        String revokedUnseenId = revokedUnseen.body().get("keyId").asText();
        api.command("POST", "/v1/keys/" + revokedUnseenId + "/revoke", map());
        for (Response changed : List.of(twoAnHour, onceAMonth, revokedUnseen)) {
            assertThat(changed.status()).as(changed.raw()).isEqualTo(201);
            Response receipt = api.query("/v1/keys/" + changed.body().get("keyId").asText() + "/propagation?wait=5000");
            assertThat(receipt.body().get("complete").asBoolean()).as(receipt.raw()).isTrue();
        }

        int gateway = LoopbackPorts.free();
        int withFallback = system.startEdgeWithoutReplica("edge-fallback", system.queryUrl() + "/v1/validate",
                "--latchkey.edge.gateway-port=" + gateway, "--latchkey.usage.command-url=" + system.commandUrl());
        int without = system.startEdgeWithoutReplica("edge-alone", null);
        try {
            // The service port, and the gateway listener, where answers through the query side leave the event loop.
            for (int port : new int[] {withFallback, gateway}) {
                assertThat(api.authorizeAt(port, key, "read").statusCode()).isEqualTo(200);
                assertThat(api.authorizeAt(port, key, "read").headers().firstValue("X-Latchkey-Key-Id"))
                        .hasValue(created.body().get("keyId").asText());
                assertThat(api.authorizeAt(port, key, "write").statusCode()).isEqualTo(403);
                assertThat(api.authorizeAt(port, revokedKey.body().get("key").asText(), "read").statusCode())
                        .isEqualTo(401);
                assertThat(api.authorizeAt(port, "lk_live_" + "0".repeat(49), "read").statusCode()).isEqualTo(401);
                assertThat(api.authorizeWithoutKeyAt(port).statusCode()).as("no key, port " + port).isEqualTo(401);
            }
            assertThat(api.health(withFallback)).contains("OUT_OF_SERVICE").contains("query-side fallback");
            for (int port : new int[] {withFallback, gateway}) {
                assertThat(api.authorizeAt(port, revokedUnseen.body().get("key").asText(), "read").statusCode())
                        .isEqualTo(401);
            }
            await(Duration.ofSeconds(10), () -> api.query("/v1/keys/" + revokedUnseenId + "/usage").body()
                    .path("totals").equals(Api.JSON.valueToTree(Map.of("revoked", 2))),
                    "the fallback's two refusals counted as the revoked key's");
            String limitedKey = twoAnHour.body().get("key").asText();
            assertThat(List.of(api.authorizeAt(withFallback, limitedKey, "read").statusCode(),
                    api.authorizeAt(gateway, limitedKey, "read").statusCode(),
                    api.authorizeAt(withFallback, limitedKey, "read").statusCode()))
                    .as("the key's limit, through the fallback").containsExactly(200, 200, 429);
            String meteredKey = onceAMonth.body().get("key").asText();
            // The quota is counted in the month of the edge's clock, which must not end between the two requests.
            MonthTurn.awaitClearOfMonthEnd();
            assertThat(List.of(api.authorizeAt(gateway, meteredKey, "read").statusCode(),
                    api.authorizeAt(withFallback, meteredKey, "read").statusCode()))
                    .as("the key's quota, through the fallback").containsExactly(200, 429);

            assertThat(api.authorizeAt(without, key, "read").statusCode()).isEqualTo(503);
            assertThat(api.health(without)).contains("OUT_OF_SERVICE").contains("refusing");
        } finally {
            system.stop("edge-fallback");
            system.stop("edge-alone");
        }
    }

    @Test
    @Order(3)
    void badInputGetsProblemDetailsNeverA500() {
        String developerId = registerDeveloper("grace");
        String keyId = createKey(developerId, List.of("read")).body().get("keyId").asText();
        api.command("POST", "/v1/keys/" + keyId + "/revoke", map());
        String bearer = "Bearer " + LatchkeySystem.OPERATOR_TOKEN;
        String unknown = "00000000-0000-4000-8000-000000000000";

        record Case(String what, Response response, int status) {
        }
        List<Case> cases = List.of(
                new Case("malformed JSON", api.commandRaw("POST", "/v1/developers", "{\"name\": ", bearer), 400),
                new Case("unknown scope", api.command("POST", "/v1/developers/" + developerId + "/keys",
                        map("name", "x", "scopes", List.of("delete"))), 422),
                new Case("expiry in the past", api.command("POST", "/v1/developers/" + developerId + "/keys",
                        map("name", "x", "scopes", List.of("read"), "expiresAt", "2020-01-01T00:00:00Z")), 422),
                new Case("unknown developer", api.command("POST", "/v1/developers/" + unknown + "/keys",
                        map("name", "x", "scopes", List.of("read"))), 404),
                new Case("unknown key", api.command("POST", "/v1/keys/" + unknown + "/revoke", map()), 404),
                new Case("missing token", api.commandRaw("POST", "/v1/developers",
                        Api.json(map("name", "x", "email", "x@example.com")), null), 401),
                new Case("wrong token", api.commandRaw("POST", "/v1/developers",
                        Api.json(map("name", "x", "email", "x@example.com")), "Bearer not-the-operator-token"), 401),
                new Case("changing a revoked key", api.command("PUT", "/v1/keys/" + keyId + "/scopes",
                        map("scopes", List.of("write"))), 409));
        assertThat(cases).allSatisfy(c -> {
            assertThat(c.response().status()).as(c.what() + ": " + c.response().raw()).isEqualTo(c.status());
            assertThat(c.response().header("Content-Type")).as(c.what()).startsWith("application/problem+json");
            assertThat(c.response().body().get("status").asInt()).as(c.what()).isEqualTo(c.status());
        });
    }

    @Test
    @Order(4)
    void anAcknowledgedCreateSurvivesKillMinus9OfEveryProcess() throws Exception {
        String developerId = registerDeveloper("linus");
        Response created = createKey(developerId, List.of("write"));
        system.killAll();

        system.start();
        String keyId = created.body().get("keyId").asText();
        String key = created.body().get("key").asText();
        await(Duration.ofSeconds(10), () -> api.query("/v1/keys/" + keyId).status() == 200, "the key in the read model");
        assertThat(api.authorize(key, "read")).isEqualTo(200);
    }

    @Test
    @Order(5)
    void noPlaintextKeyAppearsInAnyLogDataFileReadModelOrMetric() throws Exception {
        assertThat(Api.ISSUED_KEYS).hasSizeGreaterThanOrEqualTo(4);
        try (MongoClient mongo = MongoClients.create("mongodb://127.0.0.1:" + system.storePort)) {
            List<String> documents = new ArrayList<>();
            for (String database : mongo.listDatabaseNames()) {
                for (String collection : mongo.getDatabase(database).listCollectionNames()) {
                    for (Document document : mongo.getDatabase(database).getCollection(collection).find()) {
                        documents.add(document.toJson());
                    }
                }
            }
            assertThat(documents).as("stored documents").isNotEmpty();
            for (String key : Api.ISSUED_KEYS) {
                assertThat(documents).noneMatch(d -> d.contains(key) || d.contains(key.substring(8)));
            }
        }
        for (int port : new int[] {system.commandPort, system.queryPort, system.edgePort}) {
            String metrics = api.metrics(port);
            assertThat(metrics).as("metrics of port %d", port).contains("jvm_memory_used_bytes");
            for (String key : Api.ISSUED_KEYS) {
                assertThat(metrics).doesNotContain(key).doesNotContain(key.substring(8));
            }
        }
        system.stop();
        List<Path> files;
        try (Stream<Path> walk = Stream.concat(Files.walk(system.logDir), Files.walk(system.dataDir))) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).anyMatch(f -> f.getFileName().toString().endsWith(".log"))
                .anyMatch(f -> f.getFileName().toString().equals("store.mv"));
        for (Path file : files) {
            String content = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            if (file.getFileName().toString().equals("store.mv")) {
                // The scan must be able to see what the store holds, or finding no key would prove nothing.
                assertThat(Api.ISSUED_KEY_IDS).allMatch(content::contains);
            }
            for (String key : Api.ISSUED_KEYS) {
                assertThat(content).as(file.toString()).doesNotContain(key).doesNotContain(key.substring(8));
            }
        }
    }
}
