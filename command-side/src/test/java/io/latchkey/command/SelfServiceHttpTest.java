package io.latchkey.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.validator.hazelcast.HazelcastKeyReplica;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The command side authenticating developers' own admin keys with its embedded validator, over real HTTP. A real
 * Hazelcast member in the service's cluster plays the query side: it writes the keys' replica entries and confirms
 * that it is caught up, exactly as the replica projection does.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SelfServiceHttpTest {

    private static final String TOKEN = "self-service-operator-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KeyHasher HASHER = KeyHasher.sha256();
    private static final int HAZELCAST_PORT = LoopbackPorts.freeBlock(2);
    private static final int STORE_PORT = LoopbackPorts.free();
    private static final ReplicaCluster CLUSTER = new ReplicaCluster("self-service-" + UUID.randomUUID(), "127.0.0.1",
            HAZELCAST_PORT, List.of("127.0.0.1:" + HAZELCAST_PORT, "127.0.0.1:" + (HAZELCAST_PORT + 1)));
    private static final ScheduledExecutorService CONFIRMATIONS = Executors.newSingleThreadScheduledExecutor();

    @TempDir
    static Path dataDir;

    private static HazelcastInstance writerMember;
    private static ReplicaWriter writer;
    private static ScheduledFuture<?> confirming;
    /** Developer A with its admin key, developer B with a key of its own; set up once, in the first test. */
    private static Issued adminA;
    private static Issued keyB;
    private static String developerB;

    @LocalServerPort
    int port;
    @Autowired
    EventStore eventStore;
    @Autowired
    HazelcastInstance serviceMember;

    private final HttpClient http = HttpClient.newHttpClient();

    record Issued(String developerId, String keyId, String key) {
    }

    record Response(int status, JsonNode body, String raw, HttpResponse<String> http) {
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("latchkey.store.port", () -> STORE_PORT);
        registry.add("latchkey.data-dir", () -> dataDir.toString());
        registry.add("latchkey.operator-token", () -> TOKEN);
        registry.add("latchkey.hazelcast.cluster-name", CLUSTER::clusterName);
        registry.add("latchkey.hazelcast.port", () -> HAZELCAST_PORT + 1);
        registry.add("latchkey.hazelcast.members", () -> String.join(",", CLUSTER.members()));
        registry.add("latchkey.replica.max-lag", () -> "2s");
    }

    @BeforeAll
    static void startWriter() {
        writerMember = Hazelcast.newHazelcastInstance(CLUSTER.memberConfig("test-writer"));
        writer = ReplicaWriter.of(writerMember);
        keepConfirming();
    }

    @AfterAll
    static void stopWriter() {
        CONFIRMATIONS.shutdownNow();
        writerMember.shutdown();
    }

    private static void keepConfirming() {
        confirming = CONFIRMATIONS.scheduleWithFixedDelay(() -> writer.publishCaughtUp(Instant.now()), 0, 200,
                TimeUnit.MILLISECONDS);
    }

    private Response send(String method, String path, Object body, String credential, String... headers) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(15))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                    .header("Content-Type", "application/json");
            if (credential != null) {
                request.header("Authorization", "Bearer " + credential);
            }
            for (int i = 0; i < headers.length; i += 2) {
                request.header(headers[i], headers[i + 1]);
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode parsed = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
            return new Response(response.statusCode(), parsed, response.body(), response);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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

    /** A problem body as the client compares it: everything but the path it was answered for. */
    private static JsonNode withoutInstance(Response response) {
        JsonNode copy = response.body().deepCopy();
        if (copy instanceof ObjectNode object) {
            object.remove("instance");
        }
        return copy;
    }

    private String register(String name) {
        Response registered = send("POST", "/v1/developers", map("name", name, "email", name + "@example.com"), TOKEN);
        assertThat(registered.status()).as(registered.raw()).isEqualTo(201);
        return registered.body().get("developerId").asText();
    }

    /** Creates a key as {@code credential} and, as the query side would, puts its entry into the replica. */
    private Issued issue(String developerId, List<String> scopes, String credential) throws InterruptedException {
        Response created = send("POST", "/v1/developers/" + developerId + "/keys", map("name", "k", "scopes", scopes),
                credential);
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        Issued issued = new Issued(developerId, created.body().get("keyId").asText(),
                created.body().get("key").asText());
        replicate(issued, scopes, KeyStatus.ACTIVE, created.body().get("version").asLong());
        return issued;
    }

    private void replicate(Issued issued, List<String> scopes, KeyStatus status, long version)
            throws InterruptedException {
        writer.write(HASHER.hash(issued.key()), new ActiveKeyEntry(issued.keyId(), issued.developerId(), scopes, null,
                null, status, version, null));
        HazelcastKeyReplica serviceReplica = HazelcastKeyReplica.of(serviceMember);
        for (int i = 0; i < 500; i++) {
            ActiveKeyEntry held = serviceReplica.lookup(HASHER.hash(issued.key()));
            if (held != null && held.version() == version && held.status() == status) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("entry not replicated to the command side within 5 s");
    }

    @Test
    @Order(1)
    void anAdminKeyManagesItsOwnDevelopersKeysAndIsRecordedAsTheActor() throws Exception {
        String developerA = register("ada");
        developerB = register("bob");
        adminA = issue(developerA, List.of("admin"), TOKEN);
        keyB = issue(developerB, List.of("read"), TOKEN);

        Response created = send("POST", "/v1/developers/" + developerA + "/keys",
                map("name", "ci", "scopes", List.of("read")), adminA.key());
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        String ownKey = created.body().get("keyId").asText();
        assertThat(send("PUT", "/v1/keys/" + ownKey + "/scopes", map("scopes", List.of("write")), adminA.key(),
                "If-Match", "\"0\"").status()).isEqualTo(200);
        assertThat(send("POST", "/v1/keys/" + ownKey + "/rotate", null, adminA.key()).status()).isEqualTo(200);
        assertThat(send("POST", "/v1/keys/" + ownKey + "/renew", map("expiresAt", "2099-01-01T00:00:00Z"),
                adminA.key()).status()).isEqualTo(200);
        assertThat(send("POST", "/v1/keys/" + ownKey + "/revoke", null, adminA.key()).status()).isEqualTo(200);

        String actor = "developer:" + developerA + "/key:" + adminA.keyId();
        List<Object> actors = new ArrayList<>();
        eventStore.readEvents(ownKey, 0).asStream().forEach(event -> actors.add(event.getMetaData().get("actor")));
        assertThat(actors).hasSize(5).containsOnly(actor);
        assertThat(String.join(" ", eventStore.readEvents(ownKey, 0).asStream()
                .map(event -> event.getMetaData().toString()).toList())).doesNotContain(adminA.key());

        // Its own account's contact is its own to keep right; another's answers as an account that does not exist.
        Response contact = send("PUT", "/v1/developers/" + developerA, map("name", "Ada", "email", "ops@ada.dev"),
                adminA.key());
        assertThat(contact.status()).as(contact.raw()).isEqualTo(200);
        assertThat(eventStore.readEvents(developerA, 1).asStream().map(event -> event.getMetaData().get("actor"))
                .toList()).containsExactly(actor);
        Response theirs = send("PUT", "/v1/developers/" + developerB, map("name", "Bob", "email", "b@x.io"),
                adminA.key());
        Response none = send("PUT", "/v1/developers/" + UUID.randomUUID(), map("name", "Bob", "email", "b@x.io"),
                adminA.key());
        assertThat(theirs.status()).as(theirs.raw()).isEqualTo(404);
        assertThat(withoutInstance(theirs)).isEqualTo(withoutInstance(none));

        // Another account's address is refused without naming it; asked of another's account, the answer is the same
        // 404, so it tells nothing about which addresses are taken there.
        String taken = "Bob@example.com";
        Response clash = send("PUT", "/v1/developers/" + developerA, map("name", "Ada", "email", taken), adminA.key());
        assertThat(clash.status()).as(clash.raw()).isEqualTo(409);
        assertThat(clash.body().get("type").asText()).endsWith("/email-taken");
        assertThat(clash.raw()).doesNotContain(developerB);
        Response theirsTaken = send("PUT", "/v1/developers/" + developerB, map("name", "Bob", "email", "ops@ada.dev"),
                adminA.key());
        assertThat(withoutInstance(theirsTaken)).isEqualTo(withoutInstance(none));
    }

    @Test
    @Order(2)
    void anotherDevelopersKeyAnswersExactlyLikeAKeyThatDoesNotExist() {
        String unknown = UUID.randomUUID().toString();
        List<String[]> changes = List.of(
                new String[] {"PUT", "/scopes", "{\"scopes\":[\"admin\"]}"},
                new String[] {"POST", "/rotate", "{\"gracePeriodSeconds\":60}"},
                new String[] {"POST", "/renew", "{\"expiresAt\":\"2099-01-01T00:00:00Z\"}"},
                new String[] {"POST", "/revoke", "{\"reason\":\"mine\"}"});
        // An If-Match older and newer than B's version: a version conflict would say the key exists.
        for (String ifMatch : List.of("", "\"0\"", "\"999\"")) {
            for (String[] change : changes) {
                Object body = readTree(change[2]);
                String[] headers = ifMatch.isEmpty() ? new String[0] : new String[] {"If-Match", ifMatch};
                Response theirs = send(change[0], "/v1/keys/" + keyB.keyId() + change[1], body, adminA.key(), headers);
                Response none = send(change[0], "/v1/keys/" + unknown + change[1], body, adminA.key(), headers);
                assertThat(theirs.status()).as(change[1] + " " + ifMatch + ": " + theirs.raw()).isEqualTo(404);
                assertThat(withoutInstance(theirs)).isEqualTo(withoutInstance(none));
            }
        }
        Response underB = send("POST", "/v1/developers/" + developerB + "/keys",
                map("name", "x", "scopes", List.of("admin")), adminA.key());
        Response underNobody = send("POST", "/v1/developers/" + unknown + "/keys",
                map("name", "x", "scopes", List.of("admin")), adminA.key());
        assertThat(underB.status()).as(underB.raw()).isEqualTo(404);
        assertThat(withoutInstance(underB)).isEqualTo(withoutInstance(underNobody));
        // B's key made with an Idempotency-Key: A sending the same header for B learns nothing of it.
        String header = "deploy-" + UUID.randomUUID();
        Response bsOwn = send("POST", "/v1/developers/" + developerB + "/keys", map("name", "x", "scopes",
                List.of("read")), TOKEN, "Idempotency-Key", header);
        assertThat(bsOwn.status()).as(bsOwn.raw()).isEqualTo(201);
        Response underBWithHeader = send("POST", "/v1/developers/" + developerB + "/keys",
                map("name", "x", "scopes", List.of("admin")), adminA.key(), "Idempotency-Key", header);
        assertThat(underBWithHeader.status()).as(underBWithHeader.raw()).isEqualTo(404);
        assertThat(withoutInstance(underBWithHeader)).isEqualTo(withoutInstance(underNobody));

        List<Object> bEvents = new ArrayList<>();
        eventStore.readEvents(keyB.keyId(), 0).asStream().forEach(bEvents::add);
        assertThat(bEvents).as("B's key is untouched").hasSize(1);
    }

    @Test
    @Order(3)
    void rateLimitsQuotasAndRegistrationStayTheOperatorsForEveryId() throws Exception {
        String unknown = UUID.randomUUID().toString();
        Map<String, Object> limit = map("limit", 1_000_000, "periodSeconds", 1);
        // A limit the operator could not set either: still 403, as the route is not the admin key's to ask at all.
        Map<String, Object> invalid = map("limit", 0, "periodSeconds", 1);
        for (String developerId : List.of(adminA.developerId(), developerB, unknown)) {
            for (Map<String, Object> body : List.of(limit, invalid)) {
                Response set = send("PUT", "/v1/developers/" + developerId + "/rate-limit", body, adminA.key());
                assertThat(set.status()).as(set.raw()).isEqualTo(403);
            }
            assertThat(send("DELETE", "/v1/developers/" + developerId + "/rate-limit", null, adminA.key()).status())
                    .isEqualTo(403);
        }
        Map<String, Object> quota = map("requestsPerMonth", 1_000_000);
        for (String keyId : List.of(adminA.keyId(), keyB.keyId(), unknown)) {
            assertThat(send("PUT", "/v1/keys/" + keyId + "/rate-limit", limit, adminA.key()).status()).isEqualTo(403);
            assertThat(send("PUT", "/v1/keys/" + keyId + "/rate-limit", invalid, adminA.key()).status())
                    .isEqualTo(403);
            assertThat(send("DELETE", "/v1/keys/" + keyId + "/rate-limit", null, adminA.key()).status())
                    .isEqualTo(403);
            assertThat(send("PUT", "/v1/keys/" + keyId + "/quota", quota, adminA.key()).status()).isEqualTo(403);
            assertThat(send("DELETE", "/v1/keys/" + keyId + "/quota", null, adminA.key()).status()).isEqualTo(403);
        }
        assertThat(send("POST", "/v1/developers/" + adminA.developerId() + "/keys",
                map("name", "fast", "scopes", List.of("read"), "rateLimit", limit), adminA.key()).status())
                .isEqualTo(403);
        assertThat(send("POST", "/v1/developers/" + adminA.developerId() + "/keys",
                map("name", "unmetered", "scopes", List.of("read"), "quota", quota), adminA.key()).status())
                .isEqualTo(403);
        assertThat(send("POST", "/v1/developers", map("name", "eve", "email", "eve@example.com"), adminA.key())
                .status()).isEqualTo(403);
        Response limited = send("PUT", "/v1/keys/" + keyB.keyId() + "/rate-limit", limit, TOKEN);
        assertThat(limited.status()).isEqualTo(200);
        // As the query side would: the services decide on an entry as new as the key's stream.
        replicate(keyB, List.of("read"), KeyStatus.ACTIVE, limited.body().get("version").asLong());
    }

    @Test
    @Order(4)
    void unknownRevokedAndMalformedKeysGetTheBadTokenAnswerAndAReadKeyGets403() throws Exception {
        Response badToken = send("POST", "/v1/keys/" + keyB.keyId() + "/rotate", null, "not-the-operator-token");
        Response unknownKey = send("POST", "/v1/keys/" + keyB.keyId() + "/rotate", null,
                KeyFormat.forEnvironment("live").generate());
        Issued revoked = issue(adminA.developerId(), List.of("admin"), TOKEN);
        assertThat(send("POST", "/v1/keys/" + revoked.keyId() + "/revoke", null, TOKEN).status()).isEqualTo(200);
        replicate(revoked, List.of("admin"), KeyStatus.REVOKED, 1);
        Response revokedKey = send("POST", "/v1/keys/" + keyB.keyId() + "/rotate", null, revoked.key());

        assertThat(badToken.status()).isEqualTo(401);
        for (Response response : List.of(unknownKey, revokedKey)) {
            assertThat(response.status()).as(response.raw()).isEqualTo(401);
            assertThat(withoutInstance(response)).isEqualTo(withoutInstance(badToken));
            assertThat(response.http().headers().firstValue("WWW-Authenticate")).isPresent();
        }

        Response twice = send("POST", "/v1/keys/" + keyB.keyId() + "/rotate", null, TOKEN,
                "Authorization", "Bearer " + adminA.key());
        assertThat(twice.status()).as("two Authorization headers: neither is taken").isEqualTo(401);
        assertThat(withoutInstance(twice)).isEqualTo(withoutInstance(badToken));

        Response readOnly = send("POST", "/v1/keys/" + keyB.keyId() + "/rotate", null, keyB.key());
        assertThat(readOnly.status()).as(readOnly.raw()).isEqualTo(403);
        assertThat(readOnly.body().get("type").asText()).endsWith("/insufficient-scope");
    }

    @Test
    @Order(5)
    void aKeyInTheUrlIsRefusedWith400AndNothingChanges() {
        Response created = send("POST", "/v1/developers/" + adminA.developerId() + "/keys",
                map("name", "in-url", "scopes", List.of("read")), TOKEN);
        String keyId = created.body().get("keyId").asText();
        String etag = created.http().headers().firstValue("ETag").orElseThrow();

        Response inQuery = send("POST", "/v1/keys/" + keyId + "/revoke?api_key=" + adminA.key(), null,
                adminA.key());
        Response inPath = send("POST", "/v1/keys/" + adminA.key() + "/revoke", null, TOKEN);
        Response wordLikeAPrefix = send("POST", "/v1/keys/" + UUID.randomUUID() + "/revoke?after=lk_x", null, TOKEN);

        assertThat(inQuery.status()).as(inQuery.raw()).isEqualTo(400);
        assertThat(inQuery.body().get("type").asText()).endsWith("/key-in-query");
        assertThat(inPath.status()).as(inPath.raw()).isEqualTo(400);
        assertThat(inPath.body().get("type").asText()).endsWith("/key-in-path");
        assertThat(inQuery.raw() + inPath.raw()).doesNotContain(adminA.key());
        assertThat(wordLikeAPrefix.body().get("type").asText()).as("a word like a key's prefix is no key, but the "
                + "command side takes no query parameter: " + wordLikeAPrefix.raw()).endsWith("/unknown-parameter");
        assertThat(send("POST", "/v1/keys/" + keyId + "/revoke", null, TOKEN, "If-Match", etag).status())
                .as("the refused revocation changed nothing: the key is at the version it was created with")
                .isEqualTo(200);
    }

    @Test
    @Order(6)
    void aKeyIsRefusedWith503WhileTheReplicaIsNotCurrentAndTheOperatorIsNot() throws Exception {
        confirming.cancel(false);
        Response refused = null;
        for (int i = 0; i < 100; i++) {
            refused = send("POST", "/v1/developers/" + adminA.developerId() + "/keys",
                    map("name", "late", "scopes", List.of("read")), adminA.key());
            if (refused.status() == 503) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(refused.status()).as(refused.raw()).isEqualTo(503);
        assertThat(refused.http().headers().firstValue("Retry-After")).hasValue("1");
        assertThat(refused.raw()).doesNotContain(adminA.key());
        assertThat(send("POST", "/v1/developers/" + adminA.developerId() + "/keys",
                map("name", "operator", "scopes", List.of("read")), TOKEN).status()).isEqualTo(201);

        keepConfirming();
        Response admitted = null;
        for (int i = 0; i < 50; i++) {
            admitted = send("POST", "/v1/developers/" + adminA.developerId() + "/keys",
                    map("name", "back", "scopes", List.of("read")), adminA.key());
            if (admitted.status() == 201) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(admitted.status()).as(admitted.raw()).isEqualTo(201);
    }

    @Test
    @Order(7)
    void aRevocationReachesTheReplicaWithoutWaitingForTheQuerySide() throws Exception {
        Issued plain = issue(adminA.developerId(), List.of("read"), TOKEN);
        Issued rotated = issue(adminA.developerId(), List.of("read"), TOKEN);
        assertThat(send("POST", "/v1/keys/" + rotated.keyId() + "/rotate", map("gracePeriodSeconds", 600), TOKEN)
                .status()).isEqualTo(200);

        long plainVersion = send("POST", "/v1/keys/" + plain.keyId() + "/revoke", null, TOKEN).body()
                .get("version").asLong();
        long rotatedVersion = send("POST", "/v1/keys/" + rotated.keyId() + "/revoke", null, TOKEN).body()
                .get("version").asLong();

        // No query side runs here: only the command side can have written these tombstones.
        awaitTombstone(plain, plainVersion);
        awaitTombstone(rotated, rotatedVersion);
    }

    @Test
    @Order(8)
    void aRefusedRevocationWritesNoTombstone() throws Exception {
        Issued refused = issue(adminA.developerId(), List.of("read"), TOKEN);
        Issued revoked = issue(adminA.developerId(), List.of("read"), TOKEN);
        assertThat(send("POST", "/v1/keys/" + refused.keyId() + "/rotate", map("gracePeriodSeconds", 600), TOKEN)
                .status()).isEqualTo(200);

        assertThat(send("POST", "/v1/keys/" + refused.keyId() + "/revoke", null, TOKEN, "If-Match", "\"0\"")
                .status()).isEqualTo(412);
        long version = send("POST", "/v1/keys/" + revoked.keyId() + "/revoke", null, TOKEN).body()
                .get("version").asLong();

        // Tombstones are written one at a time in order: had the refused one been queued, it would be written by now.
        awaitTombstone(revoked, version);
        assertThat(writer.read(HASHER.hash(refused.key())).status()).isEqualTo(KeyStatus.ACTIVE);
    }

    @Test
    @Order(9)
    void changesPastADevelopersAllowanceAre429AndLeaveNothingWhileOthersGoOn() throws Exception {
        String developerC = register("cy");
        Issued adminC = issue(developerC, List.of("admin"), TOKEN);
        Issued target = issue(developerC, List.of("read"), TOKEN);

        int allowed = 0;
        int sent = 0;
        Response refused = null;
        long started = System.nanoTime();
        while (refused == null && sent++ < 1_500) {
            Response change = send("PUT", "/v1/keys/" + target.keyId() + "/scopes",
                    map("scopes", List.of(allowed % 2 == 0 ? "write" : "read")), adminC.key());
            if (change.status() == 429) {
                refused = change;
            } else if (change.status() != 503) {
                // A 503 (the replica behind for a moment) is the filter's, before the allowance: tried again.
                assertThat(change.status()).as(change.raw()).isEqualTo(200);
                allowed++;
            }
        }
        long seconds = (System.nanoTime() - started + 999_999_999L) / 1_000_000_000L;

        // The default allowance: 300 at once, one more every 200 ms the loop took.
        assertThat(refused).as("no change refused").isNotNull();
        assertThat(allowed).isBetween(300, 300 + 5 * (int) seconds);
        assertThat(refused.body().get("type").asText()).endsWith("/too-many-changes");
        assertThat(refused.http().headers().firstValue("Retry-After")).hasValue("1");
        assertThat(eventStore.readEvents(target.keyId(), 0).asStream().count()).isEqualTo(1 + allowed);
        assertThat(send("PUT", "/v1/keys/" + target.keyId() + "/scopes", map("scopes", List.of("admin")), TOKEN)
                .status()).as("the operator is not held").isEqualTo(200);
        assertThat(send("POST", "/v1/developers/" + adminA.developerId() + "/keys",
                map("name", "other tenant", "scopes", List.of("read")), adminA.key()).status()).isEqualTo(201);
        Thread.sleep(1_000);
        assertThat(send("PUT", "/v1/keys/" + target.keyId() + "/scopes", map("scopes", List.of("read")),
                adminC.key()).status()).as("back after Retry-After").isEqualTo(200);
    }

    @Test
    @Order(10)
    void aLeakedAdminKeyCannotSpendTheAllowanceItsOwnerNeedsToRevokeIt() throws Exception {
        String developerE = register("eve");
        Issued leaked = issue(developerE, List.of("admin"), TOKEN);
        Issued owners = issue(developerE, List.of("admin"), TOKEN);
        Issued target = issue(developerE, List.of("read"), TOKEN);

        // More revocations of keys that do not exist than the allowance's 300: none held, none counted.
        int answered = 0;
        for (int i = 0; i < 400; i++) {
            Response revoked = send("POST", "/v1/keys/" + UUID.randomUUID() + "/revoke", null, leaked.key());
            if (revoked.status() != 503) {
                assertThat(revoked.status()).as(revoked.raw()).isEqualTo(404);
                answered++;
            }
        }
        // Only a revocation that reached its controller would have spent the allowance before.
        assertThat(answered).as("revocations answered 404").isGreaterThan(300);
        int changes = 0;
        Response refused = null;
        while (refused == null && changes++ < 1_500) {
            Response change = send("PUT", "/v1/keys/" + target.keyId() + "/scopes",
                    map("scopes", List.of(changes % 2 == 0 ? "write" : "read")), leaked.key());
            refused = change.status() == 429 ? change : null;
        }
        assertThat(changes).as("changes the leaked key made before it was held").isGreaterThan(300);

        Response revoked = send("POST", "/v1/keys/" + leaked.keyId() + "/revoke", map("reason", "leaked"),
                owners.key());
        assertThat(revoked.status()).as(revoked.raw()).isEqualTo(200);
        awaitTombstone(leaked, revoked.body().get("version").asLong());
        assertThat(send("PUT", "/v1/keys/" + target.keyId() + "/scopes", map("scopes", List.of("read")),
                leaked.key()).status()).isEqualTo(401);
    }

    private static void awaitTombstone(Issued issued, long version) throws InterruptedException {
        ActiveKeyEntry held = null;
        for (int i = 0; i < 500; i++) {
            held = writer.read(HASHER.hash(issued.key()));
            if (held != null && held.status() == KeyStatus.REVOKED) {
                break;
            }
            Thread.sleep(10);
        }
        assertThat(held).isNotNull();
        assertThat(held.status()).isEqualTo(KeyStatus.REVOKED);
        assertThat(held.version()).isEqualTo(version);
        assertThat(held.keyId()).isEqualTo(issued.keyId());
    }

    private static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
