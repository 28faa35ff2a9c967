package io.latchkey.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latchkey.api.secret.KeyFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.axonframework.test.server.AxonServerContainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.testcontainers.containers.MongoDBContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The command side in distributed mode: events in Axon Server, tokens and the expiry schedule in MongoDB. Runs
 * wherever Docker exists and is skipped where it does not. Failure codes must survive Axon Server's routing.
 */
@Testcontainers(disabledWithoutDocker = true)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class DistributedModeTest {

    private static final String TOKEN = "test-operator-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Container
    static final AxonServerContainer AXON_SERVER =
            new AxonServerContainer("axoniq/axonserver:2024.2.4-jdk-17").withDevMode(true);

    @Container
    static final MongoDBContainer MONGO = new MongoDBContainer("mongo:7");

    @TempDir
    static Path dataDir;

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("axon.axonserver.enabled", () -> "true");
        registry.add("axon.axonserver.servers", AXON_SERVER::getAxonServerAddress);
        registry.add("spring.data.mongodb.uri", () -> MONGO.getReplicaSetUrl("latchkey"));
        registry.add("latchkey.store.serve", () -> "false");
        registry.add("latchkey.operator-token", () -> TOKEN);
        registry.add("latchkey.data-dir", () -> dataDir.toString());
    }

    private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void registerCreateAndRevokeThroughAxonServer() throws Exception {
        HttpResponse<String> registered = post("/v1/developers", "{\"name\":\"Ada\",\"email\":\"ada@example.com\"}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        String developerId = JSON.readTree(registered.body()).get("developerId").asText();
        // The address's claim in MongoDB: a second registration names the account, checked against Axon Server.
        HttpResponse<String> twice = post("/v1/developers", "{\"name\":\"Ada\",\"email\":\"ADA@example.com\"}");
        assertThat(twice.statusCode()).as(twice.body()).isEqualTo(409);
        assertThat(JSON.readTree(twice.body()).get("developerId").asText()).isEqualTo(developerId);

        HttpResponse<String> created = post("/v1/developers/" + developerId + "/keys",
                "{\"name\":\"ci\",\"scopes\":[\"read\"]}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode key = JSON.readTree(created.body());
        assertThat(key.get("key").asText()).matches(KeyFormat::isWellFormed);
        String keyId = key.get("keyId").asText();

        HttpResponse<String> revoked = post("/v1/keys/" + keyId + "/revoke", "{\"reason\":\"test\"}");
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
        assertThat(JSON.readTree(revoked.body()).get("version").asLong()).isEqualTo(1);

        HttpResponse<String> again = post("/v1/keys/" + keyId + "/revoke", "{}");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(409);
        HttpResponse<String> unknown = post("/v1/keys/00000000-0000-4000-8000-000000000000/revoke", "{}");
        assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(404);

        // A create sent again with its Idempotency-Key names the key it made, found in Axon Server.
        String path = "/v1/developers/" + developerId + "/keys";
        HttpResponse<String> first = post(path, "{\"name\":\"ci\",\"scopes\":[\"read\"]}", "Idempotency-Key", "d-1");
        HttpResponse<String> resent = post(path, "{\"name\":\"ci\",\"scopes\":[\"read\"]}", "Idempotency-Key", "d-1");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        assertThat(resent.statusCode()).as(resent.body()).isEqualTo(409);
        assertThat(JSON.readTree(resent.body()).get("keyId")).isEqualTo(JSON.readTree(first.body()).get("keyId"));
    }
}
