package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.latchkey.api.DeveloperRegisteredEvent;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

/**
 * The store going away (in embedded mode, the command side's process down) makes every read that needs it a quick
 * 503 to retry, not a 500 after the driver's 30 s, and reads recover by themselves when it is back. In a context of
 * its own, closed after: it stops the store the shared one reads.
 */
@TestPropertySource(properties = "latchkey.store.unavailable-after=1s")
@DirtiesContext
class StoreOutageTest extends QuerySideTestSupport {

    @Test
    void readsAreAnsweredUnavailableWhileTheStoreIsDownAndServedAgainOnceItIsBack() {
        String developerId = UUID.randomUUID().toString();
        append("DeveloperAccount", developerId, 0,
                new DeveloperRegisteredEvent(developerId, "Grace", "grace@example.com", now()));
        String developer = "/v1/developers/" + developerId;
        await().atMost(Duration.ofSeconds(10)).until(() -> get(developer).status() == 200);

        stopStore();
        try {
            for (Response read : List.of(get(developer), get(developer + "/history"), get(developer + "/keys"))) {
                assertThat(read.status()).as(read.raw()).isEqualTo(503);
                assertThat(read.contentType()).startsWith("application/problem+json");
                assertThat(read.body().get("type").asText()).endsWith("/store-unavailable");
                assertThat(read.retryAfter()).isEqualTo("2");
            }
        } finally {
            restartStore();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> get(developer).status() == 200);
        assertThat(get(developer).body().get("name").asText()).isEqualTo("Grace");
        // The projections, which failed while the store was away, take what is appended after it came back.
        String later = UUID.randomUUID().toString();
        append("DeveloperAccount", later, 0,
                new DeveloperRegisteredEvent(later, "Hopper", "hopper@example.com", now()));
        await().atMost(Duration.ofSeconds(30)).until(() -> get("/v1/developers/" + later).status() == 200);
    }
}
