package io.latchkey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A thin HTTP client for the three services; remembers every plaintext key it was ever shown. */
final class Api {

    static final ObjectMapper JSON = new ObjectMapper();
    /** Every plaintext key any response contained: the suite later proves none of them leaked anywhere. */
    static final Set<String> ISSUED_KEYS = ConcurrentHashMap.newKeySet();
    /** Ids of those keys: not secret, so they must be visible where the keys must not be. */
    static final Set<String> ISSUED_KEY_IDS = ConcurrentHashMap.newKeySet();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final LatchkeySystem system;

    Api(LatchkeySystem system) {
        this.system = system;
    }

    record Response(int status, JsonNode body, String raw, HttpResponse<String> http) {
        String header(String name) {
            return http.headers().firstValue(name).orElse(null);
        }
    }

    Response command(String method, String path, Object body) {
        return send(system.commandUrl(), method, path, body == null ? null : json(body),
                "Bearer " + LatchkeySystem.OPERATOR_TOKEN);
    }

    Response commandRaw(String method, String path, String rawBody, String authorization) {
        return send(system.commandUrl(), method, path, rawBody, authorization);
    }

    Response query(String path) {
        return send(system.queryUrl(), "GET", path, null, "Bearer " + LatchkeySystem.OPERATOR_TOKEN);
    }

    /**
     * A call to {@code baseUrl} (the command or query side) as whoever {@code credential} makes the caller: the
     * operator token, a developer's key, or garbage. {@code headers} are name, value pairs.
     */
    Response as(String credential, String baseUrl, String method, String path, Object body, String... headers) {
        return send(baseUrl, method, path, body == null ? null : json(body), "Bearer " + credential, headers);
    }

    /** The edge's answer for {@code key} and {@code scope}: the HTTP status. */
    int authorize(String key, String scope) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(system.edgeUrl() + "/authorize"))
                .timeout(Duration.ofSeconds(5)).GET().header("Authorization", "Bearer " + key);
        if (scope != null) {
            request.header("X-Required-Scope", scope);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new IllegalStateException("edge unreachable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code /authorize} on an edge other than the system's own. */
    HttpResponse<Void> authorizeAt(int edgePort, String key, String scope) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edgePort + "/authorize"))
                .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + key)
                .header("X-Required-Scope", scope).GET().build(), HttpResponse.BodyHandlers.discarding());
    }

    HttpResponse<Void> authorizeWithoutKeyAt(int edgePort) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edgePort + "/authorize"))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.discarding());
    }

    /** A service's Prometheus exposition; fails unless it answers 200. */
    String metrics(int port) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/actuator/prometheus")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("/actuator/prometheus on port " + port + " answered " + response.statusCode());
        }
        return response.body();
    }

    String health(int port) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private Response send(String base, String method, String path, String body, String authorization,
                          String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode parsed = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
            if (parsed.hasNonNull("key")) {
                ISSUED_KEYS.add(parsed.get("key").asText());
                ISSUED_KEY_IDS.add(parsed.get("keyId").asText());
            }
            return new Response(response.statusCode(), parsed, response.body(), response);
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String json(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Object> map(Object... pairs) {
        Map<String, Object> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }
}
