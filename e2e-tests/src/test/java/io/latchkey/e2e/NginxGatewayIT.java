package io.latchkey.e2e;

import static io.latchkey.e2e.Api.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.testing.MonthTurn;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A real nginx with the configuration from {@code docs/gateways}, the real edge as its auth_request authorizer, and
 * an upstream that records what reaches it. {@code .ci/run} installs nginx; without it this class is skipped.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NginxGatewayIT {

    private static final Path NGINX = Path.of("/usr/sbin/nginx");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** Request path → headers the upstream received for it. */
    private static final Map<String, Map<String, List<String>>> upstreamSaw = new ConcurrentHashMap<>();

    private static LatchkeySystem system;
    private static Api api;
    private static HttpServer upstream;
    private static Process nginx;
    private static Path nginxDir;
    private static int gatewayPort;
    private static String developerId;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(NGINX), "nginx is not installed (.ci/run installs it)");
        Path workDir = Path.of(System.getProperty("latchkey.workDir", "target/e2e")).resolve("nginx-" + System.nanoTime());
        system = new LatchkeySystem(workDir);
        api = new Api(system);
        system.start();
        developerId = api.command("POST", "/v1/developers", map("name", "gw", "email", "gw@example.com"))
                .body().get("developerId").asText();

        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            upstreamSaw.put(exchange.getRequestURI().getPath(), Map.copyOf(exchange.getRequestHeaders()));
            byte[] body = "upstream".getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        upstream.start();

        gatewayPort = LoopbackPorts.free();
        Path conf = Files.createDirectories(workDir.resolve("nginx"));
        nginxDir = conf;
        Path docs = Path.of(System.getProperty("latchkey.docsDir", "../docs")).resolve("gateways");
        Files.writeString(conf.resolve("nginx-latchkey.conf"), Files.readString(docs.resolve("nginx-latchkey.conf"))
                .replace("127.0.0.1:8090", "127.0.0.1:" + system.edgeGatewayPort)
                .replace("127.0.0.1:9000", "127.0.0.1:" + upstream.getAddress().getPort())
                .replace("listen 127.0.0.1:8000", "listen 127.0.0.1:" + gatewayPort)
                // A protected location of a user's that also refuses by address.
                .replace("    location /public/ {", """
                            location /denied/ {
                                set $latchkey_scope "orders:read";
                                include latchkey-protect.conf;
                                deny all;
                                proxy_pass http://my-api;
                            }

                            # A user's location that forgot its scope, and one for any valid key.
                            location /unscoped/ {
                                include latchkey-protect.conf;
                                proxy_pass http://my-api;
                            }

                            location /any-key/ {
                                set $latchkey_scope any;
                                include latchkey-protect.conf;
                                proxy_pass http://my-api;
                            }

                            location /any-upper/ {
                                set $latchkey_scope ANY;
                                include latchkey-protect.conf;
                                proxy_pass http://my-api;
                            }

                            location /public/ {""")
                .replace("/var/log/nginx/access.log", conf.resolve("access.log").toAbsolutePath().toString()));
        Files.copy(docs.resolve("latchkey-protect.conf"), conf.resolve("latchkey-protect.conf"));
        Files.writeString(conf.resolve("nginx.conf"), """
                worker_processes 1;
                daemon off;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 256; }
                http {
                    access_log %1$s/access.log;
                    client_body_temp_path %1$s/client_body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    include nginx-latchkey.conf;
                }
                """.formatted(conf.toAbsolutePath()));
        nginx = new ProcessBuilder(NGINX.toString(), "-p", conf.toAbsolutePath().toString(),
                "-c", conf.resolve("nginx.conf").toAbsolutePath().toString())
                .redirectErrorStream(true).redirectOutput(conf.resolve("nginx.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (get("/public/ping").statusCode() != 200) {
            assertThat(nginx.isAlive()).as("nginx running; see " + conf).isTrue();
            assertThat(System.nanoTime()).as("nginx listening").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (nginx != null) {
            nginx.destroy();
            nginx.waitFor(10, TimeUnit.SECONDS);
        }
        if (upstream != null) {
            upstream.stop(0);
        }
        if (system != null) {
            system.stop();
        }
    }

    private static HttpResponse<String> get(String path, String... headers) {
        return send("GET", path, headers);
    }

    private static HttpResponse<String> send(String method, String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + path))
                .timeout(Duration.ofSeconds(5)).method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return failed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A connection failure while nginx is still starting reads as a 0 status. */
    private static HttpResponse<String> failed(IOException e) {
        return new HttpResponse<>() {
            public int statusCode() { return 0; }
            public HttpRequest request() { return null; }
            public java.util.Optional<HttpResponse<String>> previousResponse() { return java.util.Optional.empty(); }
            public java.net.http.HttpHeaders headers() { return java.net.http.HttpHeaders.of(Map.of(), (a, b) -> true); }
            public String body() { return e.toString(); }
            public java.util.Optional<javax.net.ssl.SSLSession> sslSession() { return java.util.Optional.empty(); }
            public URI uri() { return null; }
            public HttpClient.Version version() { return HttpClient.Version.HTTP_1_1; }
        };
    }

    private record Issued(String keyId, String key) {
    }

    /** A new key, once the edge admits it. */
    private static Issued issue(List<String> scopes) throws InterruptedException {
        return issue(map("name", "gw", "scopes", scopes));
    }

    /** A key created from this request body, once the edge admits it (which takes one token of a limited key). */
    private static Issued issue(Map<String, Object> request) throws InterruptedException {
        Api.Response created = api.command("POST", "/v1/developers/" + developerId + "/keys", request);
        assertThat(created.status()).isEqualTo(201);
        String key = created.body().get("key").asText();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (api.authorize(key, null) != 200) {
            assertThat(System.nanoTime()).as("the new key reaching the edge").isLessThan(deadline);
            Thread.sleep(5);
        }
        return new Issued(created.body().get("keyId").asText(), key);
    }

    /** A new key with its own rate limit, once the edge admits it (which takes one of its tokens). */
    private static String limitedKey(long limit) throws InterruptedException {
        return issue(map("name", "gw-limited", "scopes", List.of("read"),
                "rateLimit", map("limit", limit, "periodSeconds", 3600))).key();
    }

    private static String key(List<String> scopes) throws InterruptedException {
        return issue(scopes).key();
    }

    @Test
    @Order(1)
    void aRateLimitedKeyGets429WithRetryAfterAndRateLimitFieldsThroughNginx() throws Exception {
        String key = limitedKey(3);
        HttpResponse<String> allowed = get("/orders/limited-1", "Authorization", "Bearer " + key);
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("RateLimit-Policy")).hasValue("\"key\";q=3;w=3600");
        assertThat(allowed.headers().firstValue("RateLimit").orElseThrow()).startsWith("\"key\";r=1;");
        assertThat(get("/orders/limited-2", "Authorization", "Bearer " + key).statusCode()).isEqualTo(200);

        HttpResponse<String> limited = get("/orders/limited-3", "Authorization", "Bearer " + key);

        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow())).isBetween(1100L, 1200L);
        assertThat(limited.headers().firstValue("RateLimit").orElseThrow()).startsWith("\"key\";r=0;");
        assertThat(limited.headers().firstValue("RateLimit-Policy")).hasValue("\"key\";q=3;w=3600");
        assertThat(limited.body()).contains("rate-limited").doesNotContain(key);
        assertThat(upstreamSaw).containsKey("/orders/limited-2").doesNotContainKey("/orders/limited-3");
    }

    /**
     * A throttled client keeps its connection: auth_request would make the edge's 429 a 500, on which nginx closes it
     * (a reconnection per refused request) and writes the request line to its error log.
     */
    @Test
    @Order(1)
    void aRateLimitedClientKeepsItsConnectionAndStaysOutOfNginxsErrorLog() throws Exception {
        String key = limitedKey(1);
        long errorsBefore = authRequestErrors();
        long edgeConnectionsBefore = edgeMetric("latchkey_gateway_connections_opened_total");
        try (Socket socket = new Socket("127.0.0.1", gatewayPort)) {
            socket.setSoTimeout(5_000);
            for (int i = 0; i < 3; i++) {
                assertThat(exchange(socket, "/orders/throttled-" + i, "X-API-Key: " + key))
                        .as("answer %d on one connection", i).startsWith("HTTP/1.1 429").contains("rate-limited")
                        .contains("Retry-After: ");
            }
        }
        assertThat(authRequestErrors()).isEqualTo(errorsBefore);
        assertThat(edgeMetric("latchkey_gateway_connections_opened_total") - edgeConnectionsBefore)
                .as("nginx's connection to the edge kept too").isLessThanOrEqualTo(1);
        assertThat(upstreamSaw.keySet()).noneMatch(path -> path.startsWith("/orders/throttled-"));
    }

    /** A deny of nginx's own in a protected location is a 403 of its own: neither a missing scope nor an outage. */
    @Test
    @Order(1)
    void aRefusalOfNginxsOwnInAProtectedLocationIsAPlain403() throws Exception {
        String key = key(List.of("orders:read"));
        for (String credential : List.of("Bearer " + key, "Bearer lk_live_unknown")) {
            HttpResponse<String> denied = get("/denied/1", "Authorization", credential);
            assertThat(denied.statusCode()).isEqualTo(403);
            assertThat(denied.body()).contains("/forbidden").doesNotContain("insufficient-scope");
            assertThat(denied.headers().firstValue("Retry-After")).isEmpty();
        }
        assertThat(upstreamSaw).doesNotContainKey("/denied/1");
    }

    /** Lines of nginx's error log about an answer auth_request could not take. */
    private static long authRequestErrors() throws IOException {
        return Files.readAllLines(nginxDir.resolve("error.log")).stream()
                .filter(line -> line.contains("auth request unexpected status")).count();
    }

    /**
     * One GET on a kept-alive connection: its status line and headers, and the body its Content-Length gives; null when
     * nginx closed the connection instead of answering.
     */
    private static String exchange(Socket socket, String path, String header) throws IOException {
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: a\r\n" + header + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int b;
            try {
                b = in.read();
            } catch (SocketException reset) {
                return null;
            }
            if (b < 0) {
                return null;
            }
            head.append((char) b);
        }
        Matcher length = Pattern.compile("(?i)\r\nContent-Length: *(\\d+)").matcher(head);
        int bodyLength = length.find() ? Integer.parseInt(length.group(1)) : 0;
        return head + new String(in.readNBytes(bodyLength), StandardCharsets.ISO_8859_1);
    }

    /** nginx sees no body of the edge's 429: a used-up quota must still not read as a rate limit to retry soon. */
    @Test
    @Order(1)
    void aKeyWhoseMonthlyQuotaIsUsedUpGets429QuotaExceededThroughNginx() throws Exception {
        MonthTurn.awaitClearOfMonthEnd();
        String key = issue(map("name", "gw-quota", "scopes", List.of("read"), "quota",
                map("requestsPerMonth", 3))).key();
        // The quota reaches the edge a moment after the key (ApiKeyQuotaChangedEvent follows ApiKeyCreatedEvent):
        // until then requests are admitted uncounted. The first answer that names it counts from there.
        HttpResponse<String> counted = get("/orders/quota-0", "Authorization", "Bearer " + key);
        for (int i = 1; i < 50 && !namesTheQuota(counted); i++) {
            Thread.sleep(20);
            counted = get("/orders/quota-0", "Authorization", "Bearer " + key);
        }
        assertThat(counted.headers().firstValue("RateLimit-Policy").orElseThrow()).contains("\"month\";q=3");
        Matcher left = Pattern.compile("\"month\";r=(\\d+)").matcher(counted.headers().firstValue("RateLimit")
                .orElseThrow());
        assertThat(left.find()).isTrue();
        for (int i = 0; i < Integer.parseInt(left.group(1)); i++) {
            assertThat(get("/orders/quota-1", "Authorization", "Bearer " + key).statusCode()).as("within the quota")
                    .isEqualTo(200);
        }
        String path = "/orders/quota-2";

        HttpResponse<String> used = get(path, "Authorization", "Bearer " + key);

        assertThat(used.statusCode()).isEqualTo(429);
        assertThat(used.body()).contains("quota-exceeded").doesNotContain("rate-limited");
        assertThat(Long.parseLong(used.headers().firstValue("Retry-After").orElseThrow())).isPositive();
        assertThat(used.headers().firstValue("RateLimit").orElseThrow()).contains("\"month\";r=0;");
        assertThat(upstreamSaw).doesNotContainKey(path);
    }

    private static boolean namesTheQuota(HttpResponse<String> response) {
        return response.headers().firstValue("RateLimit-Policy").orElse("").contains("\"month\"");
    }

    /** Cookies are of no use to the edge: a browser's large ones must not crowd out the URI it reads. */
    @Test
    @Order(1)
    void largeCookiesDoNotKeepAKeyFromBeingChecked() throws Exception {
        String key = key(List.of("orders:read"));

        HttpResponse<String> response = get("/orders/with-cookies", "Authorization", "Bearer " + key,
                "Cookie", "session=" + "c".repeat(7_900));

        assertThat(response.statusCode()).isEqualTo(200);
    }

    /** The edge reads the URI from a header, up to its header limit: a longer one is the client's to shorten. */
    @Test
    @Order(1)
    void aUriLongerThanTheEdgeReadsIs414NotAnOutageToRetry() throws Exception {
        String key = key(List.of("orders:read"));
        String path = "/orders/" + "a".repeat(8_090);

        HttpResponse<String> response = get(path, "Authorization", "Bearer " + key);

        assertThat(response.statusCode()).isEqualTo(414);
        assertThat(response.headers().firstValue("Retry-After")).isEmpty();
        assertThat(upstreamSaw).doesNotContainKey(path);
    }

    @Test
    @Order(1)
    void allowedRequestsReachTheUpstreamWithTheKeysIdentityAndWithoutTheKey() throws Exception {
        String key = key(List.of("orders:read"));
        HttpResponse<String> response = get("/orders/allowed", "Authorization", "Bearer " + key,
                "X-Latchkey-Key-Id", "spoofed", "X-Latchkey-Scopes", "admin");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("upstream");
        Map<String, List<String>> seen = upstreamSaw.get("/orders/allowed");
        assertThat(seen.get("X-latchkey-key-id")).singleElement().asString().matches("[0-9a-f-]{36}");
        assertThat(seen.get("X-latchkey-developer-id")).containsExactly(developerId);
        assertThat(seen.get("X-latchkey-scopes")).containsExactly("orders:read");
        assertThat(seen).doesNotContainKey("Authorization");
    }

    @Test
    @Order(1)
    void aSecretInItsRotationGraceReachesTheUpstreamWithWhenItStopsWorking() throws Exception {
        Issued issued = issue(List.of("orders:read"));
        Api.Response rotated = api.command("POST", "/v1/keys/" + issued.keyId() + "/rotate",
                map("gracePeriodSeconds", 3600));
        assertThat(rotated.status()).as(rotated.raw()).isEqualTo(200);
        String current = rotated.body().get("key").asText();
        Instant graceEnds = Instant.parse(rotated.body().get("previousKeyValidUntil").asText());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (api.authorize(current, null) != 200) {
            assertThat(System.nanoTime()).as("the rotation reaching the edge").isLessThan(deadline);
            Thread.sleep(5);
        }

        assertThat(get("/orders/current-secret", "Authorization", "Bearer " + current,
                "X-Latchkey-Secret-Valid-Until", "spoofed").statusCode()).isEqualTo(200);
        // The replaced secret's entry gets its end in a write of its own, which may follow the new secret's.
        while (!upstreamSaw.getOrDefault("/orders/replaced-secret", Map.of())
                .containsKey("X-latchkey-secret-valid-until")) {
            assertThat(System.nanoTime()).as("the replaced secret's end reaching the edge").isLessThan(deadline);
            assertThat(get("/orders/replaced-secret", "Authorization", "Bearer " + issued.key(),
                    "X-Latchkey-Secret-Valid-Until", "spoofed").statusCode()).isEqualTo(200);
            assertThat(upstreamSaw.get("/orders/replaced-secret").get("X-latchkey-secret-valid-until"))
                    .as("a client's own value").isNotEqualTo(List.of("spoofed"));
            Thread.sleep(5);
        }

        List<String> told = upstreamSaw.get("/orders/replaced-secret").get("X-latchkey-secret-valid-until");
        assertThat(told).singleElement().satisfies(until -> assertThat(Instant.parse(until))
                .isEqualTo(graceEnds.truncatedTo(ChronoUnit.MILLIS)));
        assertThat(upstreamSaw.get("/orders/current-secret")).doesNotContainKey("X-latchkey-secret-valid-until");
    }

    @Test
    @Order(1)
    void identityHeadersAClientSendsToAnUnprotectedPathNeverReachTheUpstream() {
        HttpResponse<String> response = get("/public/forged", "X-Latchkey-Key-Id", "spoofed",
                "X-Latchkey-Developer-Id", developerId, "X-Latchkey-Scopes", "admin",
                "X-Latchkey-Secret-Valid-Until", "2099-01-01T00:00:00Z");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstreamSaw.get("/public/forged").keySet())
                .noneMatch(name -> name.toLowerCase(Locale.ROOT).startsWith("x-latchkey-"));
    }

    @Test
    @Order(1)
    void aKeySentToAnUncheckedPathNeverReachesTheUpstreamButAnotherCredentialDoes() throws Exception {
        String key = key(List.of("orders:read"));
        String basic = "Basic " + Base64.getEncoder().encodeToString((key + ":").getBytes(StandardCharsets.US_ASCII));
        assertThat(get("/public/with-key", "Authorization", "Bearer " + key, "X-API-Key", key).statusCode())
                .isEqualTo(200);
        assertThat(get("/public/with-basic-key", "Authorization", basic).statusCode()).isEqualTo(200);
        assertThat(get("/public/other-credential", "Authorization", "Bearer not-a-latchkey-token").statusCode())
                .isEqualTo(200);

        assertThat(upstreamSaw.get("/public/with-key")).doesNotContainKeys("Authorization", "X-api-key");
        assertThat(upstreamSaw.get("/public/with-basic-key")).doesNotContainKey("Authorization");
        assertThat(upstreamSaw.get("/public/other-credential").get("Authorization"))
                .containsExactly("Bearer not-a-latchkey-token");
    }

    @Test
    @Order(1)
    void aKeyInTheRefererIsNotLoggedWhereverItStands() throws Exception {
        String key = key(List.of("orders:read"));
        // Not where a word starts: the mask of a key's beginning misses it, the mask of a whole key does not.
        assertThat(get("/public/referred", "Referer", "https://a.example/p?x=Z" + key).statusCode()).isEqualTo(200);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!Files.readString(nginxDir.resolve("access.log")).contains("/public/referred")) {
            assertThat(System.nanoTime()).as("the request's access log line").isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(Files.readString(nginxDir.resolve("access.log")))
                .contains("\"[a URL that may hold a key: not logged]\"")
                .doesNotContain(key.substring(key.lastIndexOf('_') + 1));
    }

    @Test
    @Order(1)
    void theXApiKeyHeaderIsAcceptedAndNotForwarded() throws Exception {
        String key = key(List.of("orders:write"));
        assertThat(send("POST", "/orders/by-header", "X-API-Key", key).statusCode()).isEqualTo(200);
        assertThat(upstreamSaw.get("/orders/by-header")).doesNotContainKey("X-api-key");
    }

    @Test
    @Order(1)
    void theCollectionItselfIsCheckedAndRoutedNotRedirected() throws Exception {
        String writer = key(List.of("orders:write"));
        assertThat(send("POST", "/orders", "Authorization", "Bearer " + writer).statusCode()).isEqualTo(200);
        assertThat(upstreamSaw.get("/orders").get("X-latchkey-scopes")).containsExactly("orders:write");
        assertThat(send("POST", "/orders?page=2").statusCode()).isEqualTo(401);
        assertThat(send("POST", "/orders", "Authorization", "Bearer " + key(List.of("orders:read"))).statusCode())
                .isEqualTo(403);
        assertThat(get("/orders-archive/1", "Authorization", "Bearer " + writer).statusCode())
                .as("a neighbour of /orders is not the orders API").isEqualTo(404);
        assertThat(upstreamSaw).doesNotContainKey("/orders-archive/1");
    }

    @Test
    @Order(1)
    void aMissingScopeIsForbiddenAndNeverReachesTheUpstream() throws Exception {
        String key = key(List.of("orders:read"));
        HttpResponse<String> response = send("POST", "/orders/forbidden", "Authorization", "Bearer " + key);
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(upstreamSaw).doesNotContainKey("/orders/forbidden");
    }

    @Test
    @Order(1)
    void aLocationThatSetsNoScopeRefusesEveryRequestAndAnyAsksForAValidKeyAlone() throws Exception {
        String key = key(List.of("orders:read"));
        assertThat(send("DELETE", "/unscoped/x", "Authorization", "Bearer " + key).statusCode()).isEqualTo(400);
        assertThat(get("/unscoped/x", "Authorization", "Bearer " + key).statusCode()).isEqualTo(400);
        assertThat(upstreamSaw).doesNotContainKey("/unscoped/x");
        assertThat(Files.readString(nginxDir.resolve("error.log"))).doesNotContain("uninitialized");

        assertThat(send("DELETE", "/any-key/x", "Authorization", "Bearer " + key).statusCode()).isEqualTo(200);
        assertThat(upstreamSaw).containsKey("/any-key/x");
        assertThat(get("/any-key/without-key").statusCode()).isEqualTo(401);
        assertThat(get("/any-upper/x", "Authorization", "Bearer " + key).statusCode()).as("no scope").isEqualTo(400);
        assertThat(upstreamSaw).doesNotContainKey("/any-key/without-key");
    }

    @Test
    @Order(1)
    void aPathWithADotSegmentIsRefusedInEveryLocationAndNeverReachesTheUpstream() throws Exception {
        // nginx would route each of these to /public/, unchecked, and pass the path on as sent.
        for (String path : List.of("/orders/../public/x", "/orders/%2e%2e/public/x", "/orders/.%2E/public/x",
                "/orders/..%2fpublic/x", "/orders/..%5Cpublic/x", "/orders/..\\public/x", "/public/..;/orders/1",
                "/public/%252e%252e/orders/1", "/public/x/..?a=1", "/public/..", "/orders/../public/%7C%3F",
                "/_latchkey/400%7C/..;/..;/orders/1", "/orders/..#")) {
            String answer = raw("GET " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            assertThat(answer).as(path).startsWith("HTTP/1.1 400").contains("Content-Type: application/problem+json")
                    .contains("dot segment");
        }
        assertThat(upstreamSaw.keySet()).noneMatch(seen -> seen.contains("/..")
                || seen.toLowerCase(Locale.ROOT).contains("%2e"));

        assertThat(raw("GET /public/v1..2/a..b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200");
        assertThat(upstreamSaw).containsKey("/public/v1..2/a..b");
    }

    private static String raw(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", gatewayPort)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    @Order(1)
    void everyKeyThatDoesNotAuthenticateGetsTheSame401() throws Exception {
        // Live at the edge first: an unknown key is a 401 too, so waiting for 401 right away would prove nothing.
        Issued live = issue(List.of("orders:read"));
        String revoked = live.key();
        api.command("POST", "/v1/keys/" + live.keyId() + "/revoke", map());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (api.authorize(revoked, null) != 401 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        String unknown = "lk_live_" + "0".repeat(49);
        List<HttpResponse<String>> responses = List.of(
                get("/orders/denied", "Authorization", "Bearer " + revoked),
                get("/orders/denied", "Authorization", "Bearer " + unknown),
                get("/orders/denied", "Authorization", "Bearer not-a-key"),
                get("/orders/denied"));
        assertThat(responses).allSatisfy(r -> {
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.headers().allValues("WWW-Authenticate")).containsExactly("Bearer realm=\"latchkey\"");
        });
        Set<String> bodies = responses.stream().map(HttpResponse::body).collect(Collectors.toSet());
        assertThat(bodies).hasSize(1);
        assertThat(upstreamSaw).doesNotContainKey("/orders/denied");
    }

    @Test
    @Order(1)
    void aKeyInTheUrlIsRefused() throws Exception {
        String key = key(List.of("orders:read"));
        assertThat(get("/orders/in-url?api_key=" + key).statusCode()).isEqualTo(400);
        assertThat(get("/orders/in-url?api_key=" + key.replace("_", "%5F").toUpperCase(Locale.ROOT))
                .statusCode()).isEqualTo(400);
        assertThat(get("/orders/in-url?k=" + key.replace("lk_", "%4C%4B%5F")).statusCode()).isEqualTo(400);
        assertThat(get("/orders/in-url?next=%252Fcb%253Fapi_key%253D" + key).statusCode())
                .as("after a separator encoded twice").isEqualTo(400);
        // A spelling nginx's regex lets through, which the edge refuses from X-Original-URI: still a 400, not a 503.
        String exotic = key(List.of("orders:read"));
        HttpResponse<String> encoded = get("/orders/in-url?k=" + exotic.replace("lk_", "%25256C%25256B%25255F"),
                "Authorization", "Bearer " + exotic);
        assertThat(encoded.statusCode()).isEqualTo(400);
        assertThat(encoded.body()).contains("bad-request").doesNotContain(exotic);
        assertThat(encoded.headers().firstValue("Retry-After")).as("nothing to retry").isEmpty();
        assertThat(upstreamSaw).doesNotContainKey("/orders/in-url");
        // Where the edge is not asked, nginx passes such a spelling on, but does not log it either.
        assertThat(get("/public/in-url?k=" + exotic.replace("lk_", "%25256C%25256B%25255F")).statusCode())
                .isEqualTo(200);
        assertThat(get("/orders/in-url?sort=bulk_price_asc", "Authorization", "Bearer " + key).statusCode())
                .as("a word that contains lk_ is no key").isEqualTo(200);
        // A well-formed key in the path is refused by nginx, in every location, however its underscores are spelt.
        for (String path : List.of("/orders/in-path/" + key, "/public/in-path/" + key,
                "/orders/in-path/" + key.replace("_", "%5F"), "/orders/in-path/" + key.replace("_", "%255F"),
                "/orders/in-path/" + key.replace("lk_", "%6C%6B_"))) {
            HttpResponse<String> inPath = get(path, "Authorization", "Bearer " + key);
            assertThat(inPath.statusCode()).as(path).isEqualTo(400);
            assertThat(inPath.body()).contains("bad-request").doesNotContain(key);
        }
        assertThat(upstreamSaw.keySet()).noneMatch(path -> path.contains("in-path"));
        // After a word character, where the masks of the URI as sent miss an encoded key; and after the 400 page's own
        // prefix, which is exempt from the checks only as that page.
        for (String path : List.of("/orders/x" + key.replace("lk_", "%6C%6B_"),
                "/_latchkey/" + key.replace("_", "%255F"), "/_latchkey/400/" + key)) {
            assertThat(get(path).statusCode()).as(path).isEqualTo(400);
        }
        assertThat(send("POST", "/orders/in-url?api_key=" + key).statusCode()).isEqualTo(400);
        // Nor does nginx write the keys to its logs: the access log masks them, and the edge's refusal is no error.
        String secret = key.substring(key.lastIndexOf('_') + 1);
        for (String log : List.of("access.log", "error.log")) {
            assertThat(Files.readString(nginxDir.resolve(log))).as(log).doesNotContain(secret)
                    .doesNotContain(exotic.substring(exotic.lastIndexOf('_') + 1));
        }
        assertThat(Files.readString(nginxDir.resolve("access.log")))
                .contains("\"POST [a refused URI: not logged]").doesNotContain(secret);
    }

    @Test
    @Order(1)
    void aKeyGivenAsABasicCredentialIsRefusedAndNeverLogged() throws Exception {
        String key = key(List.of("orders:read"));
        String basic = "Basic " + Base64.getEncoder().encodeToString((key + ":").getBytes(StandardCharsets.US_ASCII));
        assertThat(get("/orders/basic", "Authorization", basic).statusCode()).isEqualTo(401);
        assertThat(get("/public/basic", "Authorization", basic).statusCode()).isEqualTo(200);
        // nginx writes an access log line after its answer.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!Files.readString(nginxDir.resolve("access.log")).contains("/public/basic")) {
            assertThat(System.nanoTime()).as("the request's access log line").isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(Files.readString(nginxDir.resolve("access.log")))
                .doesNotContain(key.substring(key.lastIndexOf('_') + 1));
    }

    @Test
    @Order(1)
    void checksKeepTheirConnectionToTheEdgeAlive() throws Exception {
        String key = key(List.of("orders:read"));
        long before = edgeMetric("latchkey_gateway_connections_opened_total");
        double decided = edgeMetric("latchkey_decisions_total");
        for (int i = 0; i < 20; i++) {
            assertThat(get("/orders/kept-alive", "Authorization", "Bearer " + key).statusCode()).isEqualTo(200);
        }
        assertThat(get("/orders/kept-alive", "Authorization", "Bearer lk_live_unknown").statusCode()).isEqualTo(401);
        assertThat(edgeMetric("latchkey_decisions_total") - decided).as("every check reached the edge")
                .isGreaterThanOrEqualTo(21);
        // One nginx worker: the first check may open a connection, the others reuse it.
        assertThat(edgeMetric("latchkey_gateway_connections_opened_total") - before).isLessThanOrEqualTo(1);
    }

    /** The sum of a counter's series on the edge's service port. */
    private static long edgeMetric(String name) throws Exception {
        Matcher series = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? ([0-9.E]+)$")
                .matcher(api.metrics(system.edgePort));
        double sum = 0;
        boolean found = false;
        while (series.find()) {
            sum += Double.parseDouble(series.group(2));
            found = true;
        }
        assertThat(found).as(name + " on the edge").isTrue();
        return (long) sum;
    }

    @Test
    @Order(1)
    void aRequestNginxCannotParseIsA400Problem() throws Exception {
        for (String request : List.of("GET /public/%zz HTTP/1.1\r\nHost: a\r\n\r\n", "GARBAGE\r\n\r\n",
                "GET /orders/a\u007fb HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET /public/x HTTP/1.1\r\nHost: a\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n")) {
            assertThat(raw(request)).as(request.substring(0, Math.min(request.length(), 40)))
                    .startsWith("HTTP/1.1 400").contains("Content-Type: application/problem+json")
                    .contains("bad-request");
        }
    }

    @Test
    @Order(1)
    void aRequestLineLongerThanNginxReadsIsA414Problem() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", gatewayPort)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(("GET /orders/" + "a".repeat(9_000) + " HTTP/1.1\r\nHost: a\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).startsWith("HTTP/1.1 414").contains("Content-Type: application/problem+json")
                    .contains("uri-too-long");
        }
    }

    @Test
    @Order(2)
    void anUnreachableEdgeFailsClosedWith503() throws Exception {
        String key = key(List.of("orders:read"));
        system.stop("edge");
        HttpResponse<String> response = get("/orders/edge-down", "Authorization", "Bearer " + key);
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
        try (Socket socket = new Socket("127.0.0.1", gatewayPort)) {
            socket.setSoTimeout(5_000);
            for (int i = 0; i < 2; i++) {
                assertThat(exchange(socket, "/orders/edge-down", "Authorization: Bearer " + key))
                        .as("answer %d on one connection", i).startsWith("HTTP/1.1 503").contains("Retry-After: 1");
            }
        }
        assertThat(upstreamSaw).doesNotContainKey("/orders/edge-down");
    }
}
