package io.latchkey.e2e;

import static io.latchkey.e2e.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.e2e.Api.Response;
import io.latchkey.testing.MistypedKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Self-service and tenant isolation with the real services as processes: developer A's admin key, authenticated by
 * the validator embedded in the command and query sides, tries every read and change there is against developer B.
 * None succeeds, and every answer is exactly the one for an id that does not exist.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenantIsolationIT {

    private static final String OPERATOR = LatchkeySystem.OPERATOR_TOKEN;
    /**
     * Each round sends developer A's admin key's 17 change attempts twice for each of B's two keys: about 215 changes
     * of A within a minute with the rest of the class, under the command side's default allowance of 300.
     */
    private static final int ROUNDS = 3;

    private static LatchkeySystem system;
    private static Api api;
    private static String developerA;
    private static String developerB;
    private static Issued adminA;
    private static Issued readA;
    private static List<Issued> keysOfB;

    record Issued(String keyId, String key) {
    }

    /** One attempt: its name and how to make it against a given developer id and key id. */
    record Attempt(String name, Function<String[], Response> call) {
    }

    @BeforeAll
    static void start() throws Exception {
        Path workDir = Path.of(System.getProperty("latchkey.workDir", "target/e2e")).resolve("tenant-" + System.nanoTime());
        system = new LatchkeySystem(workDir);
        api = new Api(system);
        system.start();

        developerA = register("ada");
        developerB = register("bob");
        adminA = issue(developerA, List.of("admin"));
        readA = issue(developerA, List.of("read", "write"));
        keysOfB = List.of(issue(developerB, List.of("read")), issue(developerB, List.of("admin")));
        awaitAuthenticated(adminA.key());
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (system != null) {
            system.stop();
        }
    }

    private static String register(String name) {
        Response registered = api.command("POST", "/v1/developers", map("name", name, "email", name + "@example.com"));
        assertThat(registered.status()).as(registered.raw()).isEqualTo(201);
        return registered.body().get("developerId").asText();
    }

    private static Issued issue(String developerId, List<String> scopes) {
        Response created = api.command("POST", "/v1/developers/" + developerId + "/keys",
                map("name", "k", "scopes", scopes));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        return new Issued(created.body().get("keyId").asText(), created.body().get("key").asText());
    }

    /** Until the key has reached both services' replicas, they answer 401 for it. */
    private static void awaitAuthenticated(String key) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            boolean command = api.as(key, system.commandUrl(), "POST", "/v1/keys/" + UUID.randomUUID() + "/revoke",
                    null).status() == 404;
            boolean query = api.as(key, system.queryUrl(), "GET", "/v1/keys/" + UUID.randomUUID(), null)
                    .status() == 404;
            if (command && query) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the key did not authenticate at both services within 30 s");
    }

    /** An answer as a client can compare it: status and body, without the path it was given for. */
    private static String comparable(Response response) {
        JsonNode body = response.body().deepCopy();
        if (body instanceof ObjectNode object) {
            object.remove("instance");
        }
        return response.status() + " " + body;
    }

    /** Everything A could try against another developer's id ({@code ids[0]}) and key id ({@code ids[1]}). */
    private static List<Attempt> attempts(String credential) {
        String c = system.commandUrl();
        String q = system.queryUrl();
        List<Attempt> attempts = new ArrayList<>(List.of(
                new Attempt("GET key", ids -> api.as(credential, q, "GET", "/v1/keys/" + ids[1], null)),
                new Attempt("GET history", ids -> api.as(credential, q, "GET", "/v1/keys/" + ids[1] + "/history", null)),
                new Attempt("GET propagation",
                        ids -> api.as(credential, q, "GET", "/v1/keys/" + ids[1] + "/propagation", null)),
                new Attempt("GET developer", ids -> api.as(credential, q, "GET", "/v1/developers/" + ids[0], null)),
                new Attempt("GET developer's keys",
                        ids -> api.as(credential, q, "GET", "/v1/developers/" + ids[0] + "/keys", null)),
                new Attempt("GET developer's history",
                        ids -> api.as(credential, q, "GET", "/v1/developers/" + ids[0] + "/history", null)),
                new Attempt("create key", ids -> api.as(credential, c, "POST", "/v1/developers/" + ids[0] + "/keys",
                        map("name", "mine", "scopes", List.of("admin")))),
                new Attempt("create key with a limit", ids -> api.as(credential, c, "POST",
                        "/v1/developers/" + ids[0] + "/keys", map("name", "mine", "scopes", List.of("read"),
                                "rateLimit", map("limit", 1_000_000, "periodSeconds", 1)))),
                new Attempt("PUT developer rate limit", ids -> api.as(credential, c, "PUT",
                        "/v1/developers/" + ids[0] + "/rate-limit", map("limit", 1_000_000, "periodSeconds", 1))),
                new Attempt("DELETE developer rate limit",
                        ids -> api.as(credential, c, "DELETE", "/v1/developers/" + ids[0] + "/rate-limit", null)),
                new Attempt("PUT key rate limit", ids -> api.as(credential, c, "PUT",
                        "/v1/keys/" + ids[1] + "/rate-limit", map("limit", 1_000_000, "periodSeconds", 1)))));
        // A version conflict would say the key exists: every change also with an older and a newer If-Match.
        for (String ifMatch : List.of("", "\"0\"", "\"999\"")) {
            String[] headers = ifMatch.isEmpty() ? new String[0] : new String[] {"If-Match", ifMatch};
            attempts.addAll(List.of(
                    new Attempt("PUT scopes " + ifMatch, ids -> api.as(credential, c, "PUT",
                            "/v1/keys/" + ids[1] + "/scopes", map("scopes", List.of("admin")), headers)),
                    new Attempt("rotate " + ifMatch, ids -> api.as(credential, c, "POST",
                            "/v1/keys/" + ids[1] + "/rotate", map("gracePeriodSeconds", 60), headers)),
                    new Attempt("renew " + ifMatch, ids -> api.as(credential, c, "POST",
                            "/v1/keys/" + ids[1] + "/renew", map("expiresAt", "2099-01-01T00:00:00Z"), headers)),
                    new Attempt("revoke " + ifMatch, ids -> api.as(credential, c, "POST",
                            "/v1/keys/" + ids[1] + "/revoke", map("reason", "mine now"), headers))));
        }
        return attempts;
    }

    /** What the operator sees of B: its account, its key list and every key's history. */
    private static List<String> stateOfB() {
        List<String> state = new ArrayList<>();
        state.add(api.query("/v1/developers/" + developerB).raw());
        state.add(api.query("/v1/developers/" + developerB + "/keys").raw());
        state.add(api.query("/v1/developers/" + developerB + "/history").raw());
        keysOfB.forEach(key -> state.add(api.query("/v1/keys/" + key.keyId() + "/history").raw()));
        return state;
    }

    @Test
    @Order(1)
    void noCrossTenantReadOrChangeSucceedsAndEachAnswersLikeANonexistentId() {
        List<String> before = stateOfB();
        List<Attempt> attempts = attempts(adminA.key());
        int tried = 0;
        int succeeded = 0;
        List<String> differences = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            for (Issued target : keysOfB) {
                for (Attempt attempt : attempts) {
                    Response theirs = attempt.call().apply(new String[] {developerB, target.keyId()});
                    Response none = attempt.call().apply(
                            new String[] {UUID.randomUUID().toString(), UUID.randomUUID().toString()});
                    tried++;
                    if (theirs.status() < 400) {
                        succeeded++;
                    }
                    if (!comparable(theirs).equals(comparable(none))) {
                        differences.add(attempt.name() + ": " + comparable(theirs) + " vs " + comparable(none));
                    }
                    assertThat(theirs.status()).as(attempt.name() + ": " + theirs.raw()).isIn(403, 404);
                }
            }
        }
        System.out.printf("e2e: %d cross-tenant attempts, %d succeeded%n", tried, succeeded);
        assertThat(tried).isGreaterThanOrEqualTo(100);
        assertThat(succeeded).isZero();
        assertThat(differences).isEmpty();
        assertThat(stateOfB()).as("B's account and keys are unchanged").isEqualTo(before);
        keysOfB.forEach(key -> assertThat(api.authorize(key.key(), "read")).isEqualTo(200));
    }

    @Test
    @Order(2)
    void anAdminKeyManagesItsOwnDevelopersKeysAndEventsNameIt() {
        String c = system.commandUrl();
        String q = system.queryUrl();
        Response created = api.as(adminA.key(), c, "POST", "/v1/developers/" + developerA + "/keys",
                map("name", "deploy", "scopes", List.of("read")));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        String keyId = created.body().get("keyId").asText();
        for (String[] change : List.of(new String[] {"PUT", "/scopes"}, new String[] {"POST", "/rotate"},
                new String[] {"POST", "/renew"}, new String[] {"POST", "/revoke"})) {
            Map<String, Object> body = switch (change[1]) {
                case "/scopes" -> map("scopes", List.of("write"));
                case "/renew" -> map("expiresAt", "2099-01-01T00:00:00Z");
                default -> null;
            };
            Response changed = api.as(adminA.key(), c, change[0], "/v1/keys/" + keyId + change[1], body);
            assertThat(changed.status()).as(change[1] + ": " + changed.raw()).isEqualTo(200);
        }
        assertThat(api.as(adminA.key(), q, "GET", "/v1/developers/" + developerA + "/keys", null).status())
                .isEqualTo(200);

        Response history = null;
        for (int i = 0; i < 100; i++) {
            history = api.as(adminA.key(), q, "GET", "/v1/keys/" + keyId + "/history", null);
            if (history.status() == 200 && history.body().get("events").size() == 5) {
                break;
            }
            sleep(100);
        }
        assertThat(history.status()).as(history.raw()).isEqualTo(200);
        assertThat(history.body().get("events")).hasSize(5);
        history.body().get("events").forEach(event -> assertThat(event.get("actor").asText())
                .isEqualTo("developer:" + developerA + "/key:" + adminA.keyId()));
        assertThat(history.raw()).doesNotContain(adminA.key());
    }

    @Test
    @Order(3)
    void aKeyWithoutAdminIs403AndAnUnknownKeyGetsTheBadTokenAnswer() throws InterruptedException {
        String unknownKey = KeyFormat.forEnvironment("live").generate();
        Response issued = api.command("POST", "/v1/developers/" + developerA + "/keys",
                map("name", "gone", "scopes", List.of("read")));
        String fresh = issued.body().get("key").asText();
        Response toRevoke = api.command("POST", "/v1/developers/" + developerA + "/keys",
                map("name", "revoked", "scopes", List.of("admin")));
        String revoked = toRevoke.body().get("key").asText();
        awaitAuthenticated(revoked);
        String revokedId = toRevoke.body().get("keyId").asText();
        assertThat(api.command("POST", "/v1/keys/" + revokedId + "/revoke", null).status()).isEqualTo(200);
        // Every member, the command and query sides included, enforces the revocation before it is presented.
        assertThat(api.query("/v1/keys/" + revokedId + "/propagation?wait=10000").body().get("complete").asBoolean())
                .isTrue();
        for (String base : List.of(system.commandUrl(), system.queryUrl())) {
            String method = base.equals(system.commandUrl()) ? "POST" : "GET";
            String path = base.equals(system.commandUrl()) ? "/v1/keys/" + adminA.keyId() + "/revoke"
                    : "/v1/developers/" + developerA;
            Response readOnly = api.as(readA.key(), base, method, path, null);
            assertThat(readOnly.status()).as(readOnly.raw()).isEqualTo(403);

            Response badToken = api.as("not-the-operator-token", base, method, path, null);
            assertThat(badToken.status()).isEqualTo(401);
            // Unknown, mistyped (checksum), revoked: one answer, the bad token's.
            for (String credential : List.of(unknownKey, MistypedKeys.lastCharacterChanged(fresh), revoked)) {
                Response answer = api.as(credential, base, method, path, null);
                assertThat(answer.raw()).isEqualTo(badToken.raw());
                assertThat(answer.status()).isEqualTo(401);
            }
        }
    }

    /**
     * Right after a rotation or a scope change is answered, the replicas may still show the key as it was: a leaked
     * admin secret must not rotate the key again in that moment, nor a demoted key mint an admin key.
     */
    @Test
    @Order(4)
    void aRotatedOrDemotedAdminKeyCannotActTheMomentTheChangeIsAnswered() throws InterruptedException {
        String c = system.commandUrl();
        for (int round = 0; round < 3; round++) {
            Issued rotatedOut = issue(developerA, List.of("admin"));
            awaitAuthenticated(rotatedOut.key());
            assertThat(api.command("POST", "/v1/keys/" + rotatedOut.keyId() + "/rotate", null).status())
                    .isEqualTo(200);
            Response again = api.as(rotatedOut.key(), c, "POST", "/v1/keys/" + rotatedOut.keyId() + "/rotate", null);
            assertThat(again.status()).as("round " + round + ": " + again.raw()).isEqualTo(401);

            Issued demoted = issue(developerA, List.of("admin"));
            awaitAuthenticated(demoted.key());
            assertThat(api.command("PUT", "/v1/keys/" + demoted.keyId() + "/scopes", map("scopes", List.of("read")))
                    .status()).isEqualTo(200);
            Response minted = api.as(demoted.key(), c, "POST", "/v1/developers/" + developerA + "/keys",
                    map("name", "escalated", "scopes", List.of("admin")));
            assertThat(minted.status()).as("round " + round + ": " + minted.raw()).isEqualTo(403);
            Response read = api.as(demoted.key(), system.queryUrl(), "GET", "/v1/developers/" + developerA, null);
            assertThat(read.status()).as("round " + round + ": " + read.raw()).isEqualTo(403);
        }
    }

    @Test
    @Order(5)
    void theOperatorStillDoesEverythingAcrossTenants() {
        Issued target = keysOfB.get(0);
        assertThat(api.command("PUT", "/v1/developers/" + developerB + "/rate-limit",
                map("limit", 100, "periodSeconds", 60)).status()).isEqualTo(200);
        assertThat(api.command("PUT", "/v1/keys/" + target.keyId() + "/rate-limit",
                map("limit", 10, "periodSeconds", 60)).status()).isEqualTo(200);
        assertThat(api.command("POST", "/v1/keys/" + target.keyId() + "/rotate", null).status()).isEqualTo(200);
        assertThat(api.command("POST", "/v1/keys/" + target.keyId() + "/revoke", null).status()).isEqualTo(200);
        assertThat(api.query("/v1/keys/" + target.keyId() + "/history").status()).isEqualTo(200);
        assertThat(api.query("/v1/developers/" + developerA + "/keys").status()).isEqualTo(200);
    }

    @Test
    @Order(6)
    void noKeyPresentedAsACredentialAppearsInAnyLogOrTheStore() throws Exception {
        system.stop();
        List<Path> files;
        try (Stream<Path> walk = Stream.concat(Files.walk(system.logDir), Files.walk(system.dataDir))) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).anyMatch(f -> f.getFileName().toString().equals("store.mv"));
        for (Path file : files) {
            String content = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            if (file.getFileName().toString().equals("store.mv")) {
                // The scan must be able to see what the store holds, or finding no key would prove nothing.
                assertThat(content).contains(adminA.keyId());
            }
            for (String key : Api.ISSUED_KEYS) {
                assertThat(content).as(file.toString()).doesNotContain(key).doesNotContain(key.substring(8));
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
