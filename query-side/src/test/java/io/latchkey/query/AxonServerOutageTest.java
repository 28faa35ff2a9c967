package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.testing.LoopbackPorts;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Distributed mode with Axon Server away (nothing listens where it is configured): a read that needs the event log is a
 * 503 to retry, as with the embedded store away, not a 500 with a stack trace in the log for every request. Readiness
 * stays UP: the lists, usage and the edges' fallback need MongoDB and the replica alone. In a context of its own.
 */
@DirtiesContext
class AxonServerOutageTest extends QuerySideTestSupport {

    private static final int NOWHERE = LoopbackPorts.free();

    @DynamicPropertySource
    static void axonServerAway(DynamicPropertyRegistry registry) {
        registry.add("axon.axonserver.enabled", () -> "true");
        registry.add("axon.axonserver.servers", () -> "127.0.0.1:" + NOWHERE);
    }

    @Test
    void readsOfTheLogAreAnsweredUnavailableWhileAxonServerIsAwayAndTheRestIsStillServed() {
        String keyId = UUID.randomUUID().toString();
        for (String path : new String[] {"/v1/keys/" + keyId, "/v1/keys/" + keyId + "/history"}) {
            Response read = get(path);
            assertThat(read.status()).as(path + ": " + read.raw()).isEqualTo(503);
            assertThat(read.contentType()).startsWith("application/problem+json");
            assertThat(read.body().get("type").asText()).endsWith("/store-unavailable");
            assertThat(read.retryAfter()).isEqualTo("2");
        }
        Response list = get("/v1/developers?limit=1");
        assertThat(list.status()).as(list.raw()).isEqualTo(200);
        Response readiness = get("/actuator/health/readiness");
        assertThat(readiness.status()).as(readiness.raw()).isEqualTo(200);
    }
}
