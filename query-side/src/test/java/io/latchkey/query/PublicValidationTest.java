package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

/**
 * {@code POST /v1/validate} made public again ({@code latchkey.security.public-paths}), as for edges of a release
 * that sent no token: an anonymous caller is told only whether a key authenticates, never which key it refused or
 * why. In a context of its own, closed after.
 */
@TestPropertySource(properties = "latchkey.security.public-paths=/v1/validate")
@DirtiesContext
class PublicValidationTest extends QuerySideTestSupport {

    @Test
    void anAnonymousCallerGetsOneAnswerForARevokedKeyAndAnUnknownOne() {
        IssuedKey key = IssuedKey.issue(UUID.randomUUID().toString());
        appendKeyEvent(key.keyId(), 0, new ApiKeyCreatedEvent(key.keyId(), key.developerId(), "leaked",
                key.secretHash(), "lk_test_…abcd", List.of("read"), now().minusSeconds(60), null, null));
        appendKeyEvent(key.keyId(), 1, new ApiKeyRevokedEvent(key.keyId(), "leaked", now()));
        Map<String, String> body = Map.of("key", key.plaintext());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> "REVOKED".equals(post("/v1/validate", body).body().path("status").asText()));

        Response anonymous = post("/v1/validate", body, null);
        assertThat(anonymous.status()).isEqualTo(200);
        assertThat(anonymous.raw()).isEqualTo("{\"status\":\"NOT_FOUND\"}");
    }
}
