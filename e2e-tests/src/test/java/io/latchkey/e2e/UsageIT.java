package io.latchkey.e2e;

import static io.latchkey.e2e.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.edge.UsageReporting;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.validator.Decision;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.hazelcast.HazelcastKeyReplica;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Usage counting end to end: two real edge processes answer a mix of requests, count them, and report to the real
 * command side; the query side's usage read model must then hold exactly what the edges answered, within 5 s.
 */
class UsageIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration REPORTED = Duration.ofSeconds(5);

    private static LatchkeySystem system;
    private static Api api;
    private static int[] edges;

    @BeforeAll
    static void start() throws Exception {
        Path workDir = Path.of(System.getProperty("latchkey.workDir", "target/e2e")).resolve("usage-" + System.nanoTime());
        system = new LatchkeySystem(workDir);
        api = new Api(system);
        system.start();
        edges = new int[] {system.edgePort, system.startEdge("usage-edge-2")};
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (system != null) {
            system.stop();
        }
    }

    private record Issued(String keyId, String key) {
    }

    private static Issued issue(String developerId, Map<String, Object> extra) {
        Map<String, Object> body = map("name", "usage", "scopes", List.of("read"));
        body.putAll(extra);
        Api.Response created = api.command("POST", "/v1/developers/" + developerId + "/keys", body);
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        Issued issued = new Issued(created.body().get("keyId").asText(), created.body().get("key").asText());
        api.query("/v1/keys/" + issued.keyId() + "/propagation?wait=5000");
        return issued;
    }

    private static int authorize(int edge, String key, String scope, String originalUri) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge + "/authorize"))
                .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + key)
                .header("X-Original-URI", originalUri).GET();
        if (scope != null) {
            request.header("X-Required-Scope", scope);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** What the edges answered for one key, by outcome as the usage model names it. */
    private static final Map<Integer, String> OUTCOME_OF_STATUS = Map.of(200, "valid", 403, "insufficient_scope",
            429, "rate_limited", 401, "revoked");

    private static void drive(Map<String, Long> expected, int edge, String key, String scope, String uri, int times)
            throws Exception {
        for (int i = 0; i < times; i++) {
            expected.merge(OUTCOME_OF_STATUS.get(authorize(edge, key, scope, uri)), 1L, Long::sum);
        }
    }

    private static JsonNode awaitTotals(String keyId, Map<String, Long> expected) throws InterruptedException {
        long deadline = System.nanoTime() + REPORTED.toNanos();
        JsonNode usage;
        do {
            usage = api.query("/v1/keys/" + keyId + "/usage").body();
            Map<String, Long> totals = new TreeMap<>();
            usage.get("totals").fields().forEachRemaining(total -> totals.put(total.getKey(), total.getValue().asLong()));
            if (totals.equals(new TreeMap<>(expected))) {
                return usage;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("within " + REPORTED + " the usage of " + keyId + " should total " + expected
                + " but is " + usage);
    }

    @Test
    void theUsageModelHoldsExactlyWhatTheEdgesDecidedWithinFiveSeconds() throws Exception {
        String developerId = api.command("POST", "/v1/developers", map("name", "usage", "email", "u@example.com"))
                .body().get("developerId").asText();
        Issued plain = issue(developerId, Map.of());
        Issued limited = issue(developerId, Map.of("rateLimit", map("limit", 5, "periodSeconds", 3600)));
        Issued revoked = issue(developerId, Map.of());

        Map<String, Long> plainExpected = new TreeMap<>();
        drive(plainExpected, edges[0], plain.key(), "read", "/orders/123?page=2", 20);
        drive(plainExpected, edges[1], plain.key(), "read", "/orders/456", 13);
        drive(plainExpected, edges[1], plain.key(), "write", "/orders", 7);
        Map<String, Long> limitedExpected = new TreeMap<>();
        drive(limitedExpected, edges[0], limited.key(), "read", "/reports", 4);
        drive(limitedExpected, edges[1], limited.key(), "read", "/reports", 4);
        Map<String, Long> revokedExpected = new TreeMap<>();
        drive(revokedExpected, edges[0], revoked.key(), "read", "/a", 2);
        assertThat(api.command("POST", "/v1/keys/" + revoked.keyId() + "/revoke", map()).status()).isEqualTo(200);
        api.query("/v1/keys/" + revoked.keyId() + "/propagation?wait=5000");
        drive(revokedExpected, edges[1], revoked.key(), "read", "/a", 3);
        // A secret a rotation replaced is counted as superseded, not revoked: its key lives on.
        Issued rotated = issue(developerId, Map.of());
        Map<String, Long> rotatedExpected = new TreeMap<>();
        drive(rotatedExpected, edges[0], rotated.key(), "read", "/b", 2);
        Api.Response rotation = api.command("POST", "/v1/keys/" + rotated.keyId() + "/rotate",
                map("gracePeriodSeconds", 0));
        assertThat(rotation.status()).as(rotation.raw()).isEqualTo(200);
        api.query("/v1/keys/" + rotated.keyId() + "/propagation?wait=5000");
        for (int i = 0; i < 3; i++) {
            assertThat(authorize(edges[1], rotated.key(), "read", "/b")).isEqualTo(401);
            rotatedExpected.merge("superseded", 1L, Long::sum);
        }

        // Admitted in its grace, a replaced secret is counted apart from the new one: was a leaked secret still used?
        Issued graced = issue(developerId, Map.of("quota", map("requestsPerMonth", 100)));
        Api.Response graceRotation = api.command("POST", "/v1/keys/" + graced.keyId() + "/rotate",
                map("gracePeriodSeconds", 600));
        assertThat(graceRotation.status()).as(graceRotation.raw()).isEqualTo(200);
        api.query("/v1/keys/" + graced.keyId() + "/propagation?wait=5000");
        Map<String, Long> gracedExpected = new TreeMap<>();
        for (int i = 0; i < 2; i++) {
            assertThat(authorize(edges[0], graced.key(), "read", "/c")).isEqualTo(200);
            gracedExpected.merge("valid_previous_secret", 1L, Long::sum);
        }
        drive(gracedExpected, edges[1], graceRotation.body().get("key").asText(), "read", "/c", 1);

        JsonNode usage = awaitTotals(plain.keyId(), plainExpected);
        awaitTotals(limited.keyId(), limitedExpected);
        awaitTotals(graced.keyId(), gracedExpected);
        awaitTotals(revoked.keyId(), revokedExpected);
        awaitTotals(rotated.keyId(), rotatedExpected);

        assertThat(plainExpected).containsEntry("valid", 33L).containsEntry("insufficient_scope", 7L);
        assertThat(limitedExpected).containsEntry("valid", 5L).containsEntry("rate_limited", 3L);
        assertThat(revokedExpected).containsEntry("valid", 2L).containsEntry("revoked", 3L);
        assertThat(rotatedExpected).containsEntry("valid", 2L).containsEntry("superseded", 3L);
        // The quota's count is the usage model's other write of the same events.
        long quotaDeadline = System.nanoTime() + REPORTED.toNanos();
        while (api.query("/v1/keys/" + graced.keyId()).body().path("quota").path("used").asLong() != 3) {
            assertThat(System.nanoTime()).as("the quota counting both secrets' requests").isLessThan(quotaDeadline);
            TimeUnit.MILLISECONDS.sleep(100);
        }
        List<String> endpoints = usage.get("buckets").findValuesAsText("endpoint");
        assertThat(endpoints).containsOnly("/orders/{id}", "/orders");
        JsonNode detail = api.query("/v1/keys/" + plain.keyId()).body();
        assertThat(detail.get("lastUsedAt").isNull()).isFalse();
        JsonNode history = api.query("/v1/keys/" + plain.keyId() + "/history").body().get("events");
        assertThat(history.findValuesAsText("type")).contains("ApiKeyCreatedEvent", "ApiKeyUsageRecordedEvent");
    }

    /**
     * A validator embedded in a service of a user's (a replica member of the test's own) counts its answers with
     * UsageReporting: the usage model holds them exactly, by outcome and endpoint, as it holds an edge's.
     */
    @Test
    void anEmbeddedValidatorsAnswersReachTheUsageModelAsAnEdgesDo() throws Exception {
        String developerId = api.command("POST", "/v1/developers", map("name", "embedded", "email", "e@example.com"))
                .body().get("developerId").asText();
        Issued issued = issue(developerId, Map.of("scopes", List.of("orders:read")));
        int port = LoopbackPorts.free();
        HazelcastInstance member = Hazelcast.newHazelcastInstance(new ReplicaCluster(system.clusterName(),
                "127.0.0.1", port, system.memberAddresses()).memberConfig("orders-service"));
        try {
            KeyValidator validator = KeyValidator.builder().replica(HazelcastKeyReplica.of(member)).build();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!validator.isCurrent() || validator.validate(issued.key(), null).status() != Decision.Status.VALID) {
                assertThat(System.nanoTime()).as("the embedded replica current, with the key").isLessThan(deadline);
                Thread.sleep(50);
            }
            String token = Files.readString(system.dataDir.resolve("usage-token")).strip();
            try (UsageReporting usage = UsageReporting.start(URI.create(system.commandUrl()), token)) {
                for (int i = 0; i < 6; i++) {
                    usage.record(validator.validate(issued.key(), "orders:read"), "/orders/" + (100 + i));
                }
                for (int i = 0; i < 2; i++) {
                    usage.record(validator.validate(issued.key(), "orders:write"), "/orders");
                }
            }

            JsonNode counted = awaitTotals(issued.keyId(), Map.of("valid", 6L, "insufficient_scope", 2L));
            assertThat(counted.get("buckets").findValuesAsText("endpoint")).containsOnly("/orders/{id}", "/orders");
            assertThat(api.query("/v1/keys/" + issued.keyId()).body().get("lastUsedAt").isNull()).isFalse();
        } finally {
            member.shutdown();
        }
    }

    @Test
    void keysThatMatchNothingAreCountedTogetherNeverUnderTheirSecret() throws Exception {
        String unknown = KeyFormat.forEnvironment("live").generate();
        for (int i = 0; i < 3; i++) {
            assertThat(authorize(edges[0], unknown, "read", "/x")).isEqualTo(401);
        }
        String metrics = api.metrics(edges[0]);
        assertThat(metrics).contains("latchkey_usage_counters").doesNotContain(unknown);
        // A counter by reason, every one at zero.
        assertThat(metrics).containsPattern("latchkey_usage_report_failures_total\\{[^}]*reason=\"unreachable\"[^}]*} 0\\.0")
                .doesNotContainPattern("latchkey_usage_report_failures_total\\S* [1-9]");

        // In the usage read model: under the one id for every key that matched nothing, at the endpoint asked.
        try (MongoClient mongo = MongoClients.create("mongodb://127.0.0.1:" + system.storePort)) {
            MongoCollection<Document> minutes = mongo.getDatabase("latchkey").getCollection("key-usage");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (countedUnder(minutes, ApiKeyUsageRecordedEvent.UNKNOWN_KEY, "/x") < 3) {
                assertThat(System.nanoTime()).as("the unknown keys' counts in the read model").isLessThan(deadline);
                Thread.sleep(100);
            }
            // Past another flush and poll: counted once each, not again.
            Thread.sleep(2_000);
            assertThat(countedUnder(minutes, ApiKeyUsageRecordedEvent.UNKNOWN_KEY, "/x")).isEqualTo(3);
            for (Document minute : minutes.find()) {
                assertThat(minute.toJson()).doesNotContain(unknown).doesNotContain(unknown.substring(8));
            }
        }
    }

    /** The requests counted for {@code keyId} at {@code endpoint}, by every outcome, over every minute. */
    private static long countedUnder(MongoCollection<Document> minutes, String keyId, String endpoint) {
        long counted = 0;
        for (Document minute : minutes.find(new Document("keyId", keyId))) {
            for (Map.Entry<String, Object> count : minute.get("counts", Document.class).entrySet()) {
                if (count.getKey().startsWith(endpoint + "|")) {
                    counted += ((Number) count.getValue()).longValue();
                }
            }
        }
        return counted;
    }
}
