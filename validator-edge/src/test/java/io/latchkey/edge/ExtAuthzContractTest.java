package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import io.latchkey.validator.hazelcast.TestCluster;
import io.latchkey.validator.redis.RedisServer;
import io.latchkey.validator.servlet.HttpVerdict;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The real edge asked exactly as Envoy's ext_authz filter in HTTP service mode asks ({@code docs/gateways/envoy.yaml}):
 * the client's method, {@code /ext-authz} before the client's path and query, no body, {@code Content-Length: 0}, and
 * only the client headers in {@code allowed_headers} plus those of {@code headers_to_add}. Raw HTTP over a socket,
 * because that is also the only way to send the odd methods and paths a client may make Envoy pass on. Envoy admits
 * on 200 alone and hands every other answer to the client, so each denial is checked as the client would see it.
 */
@SpringBootTest(classes = EdgeApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=edge", "latchkey.rate-limit.mode=exact", "latchkey.edge.gateway-port=0"})
class ExtAuthzContractTest {

    private static final TestCluster cluster = new TestCluster();
    private static final HazelcastInstance writerMember = cluster.startMember();
    private static final ReplicaWriter writer = ReplicaWriter.of(writerMember);
    private static final RedisServer redis = new RedisServer();
    private static final KeyFormat FORMAT = KeyFormat.forEnvironment("live");
    /** What {@code headers_to_add} in docs/gateways/envoy.yaml sets on every check of the orders routes. */
    private static final String[] ORDERS = {"X-Latchkey-Resource", "orders"};

    @LocalServerPort
    int port;

    @Autowired
    GatewayServer gateway;

    @Autowired
    HazelcastInstance edgeMember;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        cluster.joinFromSpring(registry);
        registry.add("latchkey.rate-limit.redis", redis::uri);
        // As RateLimitedAuthorizeTest: the default 5 ms budget, missed on a loaded machine, sends a check to the
        // edge's local bucket, which counts apart from Redis's, and the limit test would see a third token.
        registry.add("latchkey.rate-limit.redis-budget", () -> "50ms");
    }

    private static boolean confirming;

    @BeforeEach
    void ready() throws Exception {
        if (!confirming) {
            cluster.keepCaughtUp(writer);
            confirming = true;
        }
        for (int i = 0; i < 400 && raw("GET /actuator/health HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n")
                .status() != 200; i++) {
            Thread.sleep(25);
        }
    }

    @AfterAll
    static void stop() {
        cluster.close();
        redis.close();
    }

    private record Answer(int status, Map<String, String> headers, String body) {
        Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }
    }

    private String issue(List<String> scopes) throws InterruptedException {
        return issue(scopes, null, KeyStatus.ACTIVE, null);
    }

    private String issue(List<String> scopes, Instant expiresAt, KeyStatus status, RateLimit limit)
            throws InterruptedException {
        String key = FORMAT.generate();
        TestCluster.writeAndAwait(writer, edgeMember, key, new ActiveKeyEntry(UUID.randomUUID().toString(), "dev-env",
                scopes, expiresAt, null, status, 0, limit));
        return key;
    }

    /** One check request as Envoy sends it for a client's {@code method} and {@code path} (query included). */
    private Answer envoyAsks(String method, String path, String... headers) throws IOException {
        return onBothListeners(envoyRequest(method, path, headers));
    }

    private static String envoyRequest(String method, String path, String... headers) {
        StringBuilder request = new StringBuilder(method).append(' ').append(GatewayRoutes.EXT_AUTHZ).append(path)
                .append(" HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 0\r\n");
        for (int i = 0; i < headers.length; i += 2) {
            request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        return request.append("Connection: close\r\n\r\n").toString();
    }

    private Answer authorize(String... headers) throws IOException {
        StringBuilder request = new StringBuilder("GET /authorize HTTP/1.1\r\nHost: edge\r\n");
        for (int i = 0; i < headers.length; i += 2) {
            request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        return onBothListeners(request.append("Connection: close\r\n\r\n").toString());
    }

    /**
     * Sends {@code request} to the service's port and to the gateway listener, which must agree: the same status class
     * always, and the same status, headers and body whenever the gateway routes answered on both (the container's own
     * refusal of a request it cannot parse has a body of its own). Returns the gateway listener's answer.
     */
    private Answer onBothListeners(String request) throws IOException {
        Answer service = raw(port, request);
        Answer fast = raw(gateway.port(), request);
        String what = shorten(request.substring(0, Math.max(0, request.indexOf("\r\n"))));
        assertThat(fast.status() / 100).as("status class on both listeners: " + what).isEqualTo(service.status() / 100);
        if (fromTheRoutes(service) && fromTheRoutes(fast)) {
            assertThat(fast.status()).as("status on both listeners: " + what).isEqualTo(service.status());
            assertThat(fast.body()).as("body on both listeners: " + what).isEqualTo(service.body());
            assertThat(comparable(fast.headers())).as("headers on both listeners: " + what)
                    .isEqualTo(comparable(service.headers()));
        }
        return fast;
    }

    private static boolean fromTheRoutes(Answer answer) {
        return answer.header("Content-Type").filter(type -> type.equals(HttpVerdict.PROBLEM_JSON)
                || type.equals("application/json")).isPresent();
    }

    /** Headers either listener sets for itself, about the connection or the clock, are left out. */
    private static Map<String, String> comparable(Map<String, String> headers) {
        Map<String, String> kept = new TreeMap<>(headers);
        kept.keySet().removeAll(List.of("date", "connection", "keep-alive"));
        return kept;
    }

    /** Sends {@code request} and reads the whole answer; status -1 when the edge closed without one. */
    private Answer raw(String request) throws IOException {
        return raw(port, request);
    }

    private static Answer raw(int port, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            String response = new String(readAll(socket.getInputStream()), StandardCharsets.ISO_8859_1);
            int end = response.indexOf("\r\n\r\n");
            if (!response.startsWith("HTTP/1.1 ") || end < 0) {
                return new Answer(-1, Map.of(), response);
            }
            Map<String, String> headers = new TreeMap<>();
            String[] lines = response.substring(0, end).split("\r\n");
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
            }
            String body = response.substring(end + 4);
            if ("chunked".equals(headers.get("transfer-encoding"))) {
                body = dechunk(body);
            }
            return new Answer(Integer.parseInt(lines[0].substring(9, 12)), headers, body);
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            in.transferTo(out);
        } catch (IOException resetAfterAnswer) {
            // Tomcat may reset a connection it refused; whatever arrived before that is the answer.
        }
        return out.toByteArray();
    }

    private static String dechunk(String chunked) {
        StringBuilder body = new StringBuilder();
        int at = 0;
        while (true) {
            int lineEnd = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, lineEnd).strip(), 16);
            if (size == 0) {
                return body.toString();
            }
            body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
            at = lineEnd + 2 + size + 2;
        }
    }

    @Test
    void aValidKeyIsAllowedWithTheIdentityHeadersEnvoyCopiesToTheUpstream() throws Exception {
        String key = issue(List.of("orders:read"));

        Answer answer = envoyAsks("GET", "/orders/42", "Authorization", "Bearer " + key, "X-Request-Id", "r-1",
                ORDERS[0], ORDERS[1]);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.header("X-Latchkey-Key-Id")).hasValueSatisfying(id -> assertThat(id).hasSize(36));
        assertThat(answer.header("X-Latchkey-Developer-Id")).hasValue("dev-env");
        assertThat(answer.header("X-Latchkey-Scopes")).hasValue("orders:read");
        assertThat(answer.body()).doesNotContain(key);
        assertThat(envoyAsks("GET", "/orders/42", "X-API-Key", key, ORDERS[0], ORDERS[1]).status()).isEqualTo(200);
    }

    @Test
    void theClientsMethodDecidesBetweenReadAndWriteOnTheResourceEnvoyNames() throws Exception {
        String reader = issue(List.of("orders:read"));
        String writerKey = issue(List.of("orders:write"));

        for (String method : List.of("GET", "HEAD", "OPTIONS")) {
            assertThat(envoyAsks(method, "/orders", "Authorization", "Bearer " + reader, ORDERS[0], ORDERS[1]).status())
                    .as(method + " with a read key").isEqualTo(200);
        }
        for (String method : List.of("POST", "PUT", "PATCH", "DELETE", "PROPFIND")) {
            Answer answer = envoyAsks(method, "/orders", "Authorization", "Bearer " + reader, ORDERS[0], ORDERS[1]);
            assertThat(answer.status()).as(method + " with a read key").isEqualTo(403);
            assertThat(answer.header("Content-Type")).hasValue("application/problem+json");
            assertThat(envoyAsks(method, "/orders", "Authorization", "Bearer " + writerKey, ORDERS[0], ORDERS[1])
                    .status()).as(method + " with a write key").isEqualTo(200);
        }
        assertThat(envoyAsks("GET", "/invoices", "Authorization", "Bearer " + reader, "X-Latchkey-Resource", "invoices")
                .status()).as("another resource").isEqualTo(403);
        assertThat(envoyAsks("TRACE", "/orders", "Authorization", "Bearer " + writerKey, ORDERS[0], ORDERS[1]).status())
                .as("TRACE, which Tomcat refuses before any filter, even with a write key").isEqualTo(405);
    }

    @Test
    void aRequiredScopeSetByEnvoyOutranksTheMethod() throws Exception {
        String reader = issue(List.of("read"));
        String admin = issue(List.of("admin"));

        assertThat(envoyAsks("GET", "/admin", "Authorization", "Bearer " + reader, "X-Required-Scope", "admin")
                .status()).isEqualTo(403);
        assertThat(envoyAsks("GET", "/admin", "Authorization", "Bearer " + admin, "X-Required-Scope", "admin")
                .status()).isEqualTo(200);
    }

    /** An empty X-Required-Scope asks for nothing, as an absent one: the method and resource still decide. */
    @Test
    void anEmptyRequiredScopeLeavesTheCheckToTheMethodAndResource() throws Exception {
        String reader = issue(List.of("orders:read"));
        for (String empty : List.of("", " ")) {
            assertThat(envoyAsks("POST", "/orders", "Authorization", "Bearer " + reader, ORDERS[0], ORDERS[1],
                    "X-Required-Scope", empty).status()).as("a write with a read key").isEqualTo(403);
            assertThat(envoyAsks("GET", "/orders", "Authorization", "Bearer " + reader, ORDERS[0], ORDERS[1],
                    "X-Required-Scope", empty).status()).isEqualTo(200);
        }
    }

    @Test
    void everyKeyThatDoesNotAuthenticateGetsOneAnswerTheSameAsAuthorizes() throws Exception {
        String revoked = issue(List.of("orders:read"), null, KeyStatus.REVOKED, null);
        String expired = issue(List.of("orders:read"), Instant.now().minusSeconds(1), KeyStatus.ACTIVE, null);
        String unknown = FORMAT.generate();
        String malformed = unknown.substring(0, unknown.length() - 1) + (unknown.endsWith("A") ? "B" : "A");
        List<Answer> answers = new ArrayList<>();
        for (String key : List.of(revoked, expired, unknown, malformed)) {
            answers.add(envoyAsks("GET", "/orders", "Authorization", "Bearer " + key, ORDERS[0], ORDERS[1]));
            answers.add(envoyAsks("DELETE", "/orders/1", "X-API-Key", key, ORDERS[0], ORDERS[1]));
        }
        answers.add(envoyAsks("GET", "/orders", ORDERS[0], ORDERS[1]));
        answers.add(envoyAsks("OPTIONS", "/orders", ORDERS[0], ORDERS[1]));
        answers.add(authorize("Authorization", "Bearer " + unknown));

        assertThat(answers).allSatisfy(answer -> {
            assertThat(answer.status()).isEqualTo(401);
            assertThat(answer.header("WWW-Authenticate")).hasValue("Bearer realm=\"latchkey\"");
            assertThat(answer.header("Content-Type")).hasValue("application/problem+json");
        });
        assertThat(answers.stream().map(Answer::body).collect(Collectors.toSet())).singleElement().asString()
                .contains("https://latchkey.io/problems/unauthenticated");
        Answer head = envoyAsks("HEAD", "/orders", "X-API-Key", unknown, ORDERS[0], ORDERS[1]);
        assertThat(head.status()).isEqualTo(401);
        assertThat(head.header("WWW-Authenticate")).hasValue("Bearer realm=\"latchkey\"");
    }

    @Test
    void aRateLimitedKeyGets429WithRetryAfterAndTheRateLimitFields() throws Exception {
        String key = issue(List.of("orders:read"), null, KeyStatus.ACTIVE, new RateLimit(2, 60, null));
        // One listener only: each check takes a token. RateLimitedAuthorizeTest covers the service's port.
        String check = envoyRequest("GET", "/orders", "Authorization", "Bearer " + key, ORDERS[0], ORDERS[1]);
        for (int remaining = 1; remaining >= 0; remaining--) {
            Answer allowed = raw(gateway.port(), check);
            assertThat(allowed.status()).isEqualTo(200);
            assertThat(allowed.header("RateLimit-Policy")).hasValue("\"key\";q=2;w=60");
            assertThat(allowed.header("RateLimit")).hasValueSatisfying(v -> assertThat(v).startsWith("\"key\";r="));
        }

        Answer limited = raw(gateway.port(), check);

        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("Retry-After")).hasValueSatisfying(
                seconds -> assertThat(Long.parseLong(seconds)).isBetween(29L, 30L));
        assertThat(limited.header("RateLimit")).hasValueSatisfying(v -> assertThat(v).startsWith("\"key\";r=0;t="));
        assertThat(limited.header("RateLimit-Policy")).hasValue("\"key\";q=2;w=60");
        assertThat(limited.header("Content-Type")).hasValue("application/problem+json");
        assertThat(limited.body()).contains("https://latchkey.io/problems/rate-limited").doesNotContain(key);
    }

    @Test
    void aKeyInTheClientsQueryStringIsRefusedAsAuthorizeRefusesIt() throws Exception {
        String key = issue(List.of("orders:read"));

        Answer viaEnvoy = envoyAsks("GET", "/orders?page=2&api_key=" + key, "Authorization", "Bearer " + key,
                ORDERS[0], ORDERS[1]);
        Answer viaAuthorize = raw("GET /authorize?page=2&api_key=" + key + " HTTP/1.1\r\nHost: edge\r\n"
                + "Authorization: Bearer " + key + "\r\nConnection: close\r\n\r\n");

        assertThat(viaEnvoy.status()).isEqualTo(400);
        assertThat(viaEnvoy.body()).isEqualTo(viaAuthorize.body()).contains("key-in-query").doesNotContain(key);
        assertThat(envoyAsks("GET", "/orders?page=2", "Authorization", "Bearer " + key, ORDERS[0], ORDERS[1])
                .status()).as("the same request without the key in its URL").isEqualTo(200);
    }

    @Test
    void aKeyInTheQueryOfTheGatewaysOriginalUriIsRefused() throws Exception {
        String key = issue(List.of("orders:read"));

        Answer inOriginal = authorize("Authorization", "Bearer " + key, "X-Required-Scope", "orders:read",
                "X-Original-URI", "/orders?page=2&api_key=" + key.replace("_", "%5F"));
        Answer wordWithLk = authorize("Authorization", "Bearer " + key, "X-Required-Scope", "orders:read",
                "X-Original-URI", "/orders?sort=bulk_price&q=milk_tea");

        assertThat(inOriginal.status()).isEqualTo(400);
        assertThat(inOriginal.body()).contains("key-in-query").doesNotContain(key);
        assertThat(wordWithLk.status()).isEqualTo(200);
    }

    @Test
    void aKeyInTheClientsPathIsRefusedByEnvoysCheckAndInTheGatewaysOriginalUri() throws Exception {
        String key = issue(List.of("orders:read"));

        Answer viaEnvoy = envoyAsks("GET", "/orders/" + key + "/items", "Authorization", "Bearer " + key,
                ORDERS[0], ORDERS[1]);
        Answer inOriginal = authorize("Authorization", "Bearer " + key, "X-Required-Scope", "orders:read",
                "X-Original-URI", "/orders/" + key.replace("_", "%5F") + "?page=2");

        assertThat(viaEnvoy.status()).isEqualTo(400);
        assertThat(viaEnvoy.body()).isEqualTo(inOriginal.body()).contains("key-in-path").doesNotContain(key);
        assertThat(inOriginal.status()).isEqualTo(400);
        assertThat(authorize("Authorization", "Bearer " + key, "X-Required-Scope", "orders:read",
                "X-Original-URI", "/orders/lk_report/bulk_price").status())
                .as("words that start like a key").isEqualTo(200);
    }

    @Test
    void requestsNoKeyCouldMakeValidAreBadRequests() throws Exception {
        String key = issue(List.of("orders:read"));

        assertThat(envoyAsks("GET", "/orders", "Authorization", "Bearer " + key, "X-API-Key", key).status())
                .isEqualTo(400);
        assertThat(envoyAsks("GET", "/orders", "Authorization", "Bearer " + key, "X-Latchkey-Resource", "Orders Ltd")
                .status()).isEqualTo(400);
    }

    /**
     * Envoy's normalisation does not treat {@code ..;} as a dot segment, and Tomcat resolves {@code /ext-authz/..;/x}
     * to {@code /x}. What keeps these inside {@code /ext-authz} is that {@link GatewayRoutes} matches a request by its
     * path as sent, before any normalisation: should that ever change, the health endpoint's 200 would be an allow.
     */
    @Test
    void pathsThatLeaveExtAuthzOnceNormalisedNeverReachAnotherEndpoint() throws Exception {
        String key = issue(List.of("read"));
        Answer health = raw("GET /actuator/health HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n");
        assertThat(health.status()).as("the endpoint the paths aim at answers 200 when asked directly").isEqualTo(200);
        List<String> escapes = List.of("/..;/actuator/health", "/orders/..;/..;/actuator/health",
                "/../actuator/health", "/%2e%2e/actuator/health", "/%2E%2E;x=1/actuator/health",
                "/.%2e/actuator/health", "/%2F..%2Factuator/health", "/..%2Factuator/health", "/..%5Cactuator/health",
                "/..;/authorize", "/..;/actuator/prometheus", "/..;/", "/..");

        for (String escape : escapes) {
            for (String method : List.of("GET", "HEAD", "OPTIONS", "POST")) {
                Answer anonymous = envoyAsks(method, escape);
                assertThat(anonymous.status()).as(method + " " + escape).isBetween(400, 499);
                assertThat(anonymous.body()).as(method + " " + escape).doesNotContain("\"UP\"", "latchkey_");
                Answer wrongScope = envoyAsks(method, escape, "Authorization", "Bearer " + key,
                        "X-Required-Scope", "admin");
                assertThat(wrongScope.status()).as(method + " " + escape + " with a read key").isBetween(400, 499);
            }
        }
    }

    @Test
    void oddMethodsAndPathsAreNeverAllowedWithoutAKeyNorAnsweredWith5xx() throws Exception {
        // Not CONNECT: Envoy tunnels it (or refuses it) rather than asking ext_authz about it as a request.
        List<String> methods = List.of("GET", "POST", "PROPFIND", "MKCOL", "TRACE", "FOO", "get",
                "X".repeat(5_000), "PURGE", "SEARCH", "QUERY");
        List<String> paths = List.of("", "/", "//orders", "/orders%00", "/orders%ff%fe", "/orders/%",
                "/" + "a".repeat(7_000), "/orders?" + "q=1&".repeat(500), "/orders;jsessionid=1", "/orders#frag",
                "/ä", "/orders/%252e%252e/actuator");
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (String method : methods) {
            for (String path : paths) {
                Answer answer = envoyAsks(method, path, ORDERS[0], ORDERS[1]);
                statuses.merge(answer.status(), 1, Integer::sum);
                assertThat(answer.status()).as(shorten(method) + " " + shorten(path)).isBetween(400, 499);
            }
        }
        System.out.println("ext-authz odd requests without a key, answers by status " + statuses);
    }

    /**
     * Envoy does not forward {@code Origin} (not in {@code allowed_headers}), so the edge never sees a preflight as
     * such; were it forwarded, the edge would answer it as any other check without a key.
     */
    @Test
    void aCorsPreflightIsNeverAllowedOnItsOwn() throws Exception {
        Answer answer = envoyAsks("OPTIONS", "/orders", "Origin", "https://app.example.com",
                "Access-Control-Request-Method", "DELETE", ORDERS[0], ORDERS[1]);

        assertThat(answer.status()).isBetween(400, 499);
    }

    private static String shorten(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "…(" + text.length() + ")" : text;
    }

    @Test
    void noAnswerEverCarriesTheKey() throws Exception {
        String key = issue(List.of("orders:read"));
        List<Answer> answers = List.of(
                envoyAsks("GET", "/orders", "Authorization", "Bearer " + key, ORDERS[0], ORDERS[1]),
                envoyAsks("POST", "/orders", "Authorization", "Bearer " + key, ORDERS[0], ORDERS[1]),
                envoyAsks("GET", "/orders?k=" + key, ORDERS[0], ORDERS[1]),
                envoyAsks("GET", "/..;/x" + key, "X-API-Key", key));
        assertThat(answers).allSatisfy(answer -> {
            assertThat(answer.body()).doesNotContain(key);
            assertThat(answer.headers().values()).noneMatch(value -> value.contains(key));
        });
    }

    /** RFC 9112 asks a server to accept a proxy's absolute-form target; Tomcat maps it, and so must the listener. */
    @Test
    void anAbsoluteFormTargetIsAnsweredAsItsPathOnBothListeners() throws Exception {
        String key = issue(List.of("orders:read"));

        Answer authorize = onBothListeners("GET http://edge/authorize HTTP/1.1\r\nHost: edge\r\nX-API-Key: " + key
                + "\r\n" + ORDERS[0] + ": " + ORDERS[1] + "\r\nConnection: close\r\n\r\n");
        Answer envoy = onBothListeners("GET http://api.example.com" + GatewayRoutes.EXT_AUTHZ + "/orders?page=2"
                + " HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 0\r\nX-API-Key: " + key + "\r\n"
                + ORDERS[0] + ": " + ORDERS[1] + "\r\nConnection: close\r\n\r\n");

        assertThat(authorize.status()).isEqualTo(200);
        assertThat(envoy.status()).isEqualTo(200);
        assertThat(UsageCounter.originForm("http://edge")).isEqualTo("/");
        assertThat(UsageCounter.originForm("http://h")).isEqualTo("/");
        assertThat(UsageCounter.originForm("http://edge?x=1")).isEqualTo("/?x=1");
        assertThat(UsageCounter.originForm("/authorize?x=http://y/z")).isEqualTo("/authorize?x=http://y/z");
        assertThat(UsageCounter.originForm("x?u=http://h/authorize")).isEqualTo("x?u=http://h/authorize");
        assertThat(UsageCounter.originForm("foo://h/authorize")).isEqualTo("foo://h/authorize");
        assertThat(UsageCounter.originForm("HTTPS://h:8443/authorize")).isEqualTo("/authorize");
    }

    @Test
    void aBodyOverTheGatewayListenersLimitIsRefusedWithAProblem() throws Exception {
        // The length alone decides; no body is sent, so the refusal cannot race a reset of unread bytes.
        Answer answer = raw(gateway.port(), "POST /authorize HTTP/1.1\r\nHost: edge\r\nContent-Length: 9000\r\n"
                + "Connection: close\r\n\r\n");

        assertThat(answer.status()).isEqualTo(413);
        assertThat(answer.header("Content-Type")).contains(HttpVerdict.PROBLEM_JSON);
        assertThat(answer.body()).contains("content-too-large", "\"status\":413");
    }

    @ParameterizedTest
    @CsvSource({"100-continue, 9000, 413, content-too-large", "something-else, 10, 417, expectation-failed"})
    void aRequestExpectingWhatTheGatewayListenerWillNotGiveIsRefusedWithAProblem(String expect, int length,
                                                                                   int status, String slug)
            throws Exception {
        Answer answer = raw(gateway.port(), "POST /authorize HTTP/1.1\r\nHost: edge\r\nContent-Length: " + length
                + "\r\nExpect: " + expect + "\r\n\r\n");

        assertThat(answer.status()).isEqualTo(status);
        assertThat(answer.header("Content-Type")).contains(HttpVerdict.PROBLEM_JSON);
        assertThat(answer.header("Connection")).contains("close");
        assertThat(answer.body()).contains(slug, "\"status\":" + status);
    }
}
