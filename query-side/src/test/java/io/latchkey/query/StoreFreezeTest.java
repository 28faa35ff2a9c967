package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ContextConfiguration;
import org.springframework.test.context.TestPropertySource;

/**
 * A store that stops answering on the connections it holds (its process frozen, its host dropping every packet) makes
 * a read a 503 to retry after twice {@code latchkey.store.read-timeout} (3 s here, so that a busy machine does not
 * time a healthy read out), where it waited for good, and reads are served again once it answers. The query side
 * reaches the store through a relay that the test freezes; in a context of its own, closed after.
 */
@ContextConfiguration(initializers = StoreFreezeTest.ThroughRelay.class)
@TestPropertySource(properties = "latchkey.store.read-timeout=3s")
@DirtiesContext
class StoreFreezeTest extends QuerySideTestSupport {

    private static FreezableRelay relay;

    /** Puts the relay between the query side and the store the support class serves. */
    static class ThroughRelay implements ApplicationContextInitializer<ConfigurableApplicationContext> {

        @Override
        public void initialize(ConfigurableApplicationContext context) {
            URI store = URI.create(context.getEnvironment().getRequiredProperty("spring.data.mongodb.uri"));
            relay = new FreezableRelay(store.getPort());
            // Closed with the context, after everything that reads through it.
            ((DefaultListableBeanFactory) context.getBeanFactory()).registerDisposableBean("freezableRelay",
                    relay::close);
            TestPropertyValues.of("spring.data.mongodb.uri=mongodb://127.0.0.1:" + relay.port() + store.getPath())
                    .applyTo(context);
        }
    }

    @Test
    void aReadTheStoreStopsAnsweringIsAnsweredUnavailableAndServedOnceItAnswersAgain() {
        String developer = "/v1/developers/" + UUID.randomUUID();
        assertThat(get(developer).status()).isEqualTo(404);

        relay.freeze();
        try {
            Response read = get(developer);
            assertThat(read.status()).as(read.raw()).isEqualTo(503);
            assertThat(read.body().get("type").asText()).endsWith("/store-unavailable");
            assertThat(read.retryAfter()).isEqualTo("2");
        } finally {
            relay.thaw();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> get(developer).status() == 404);
    }
}
