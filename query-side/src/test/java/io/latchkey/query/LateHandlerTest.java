package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.mongodb.client.MongoClient;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.api.ApiKeyScopesChangedEvent;
import io.latchkey.api.DeveloperRateLimitChangedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.MongoTemplate;

/**
 * A query side that read a view and then stalled (a pause, a slow store) while another took its segment over and
 * moved the view on: its late write must not put the older state back. The stall is a real pause on the real store.
 */
class LateHandlerTest extends QuerySideTestSupport {

    private static final String LATE = "late-query-side";

    @Autowired
    KeyProjection keys;
    @Autowired
    DeveloperProjection developers;

    /** The real store; a read on the thread named {@value #LATE} waits, after reading, until released. */
    private static final class StallingStore extends MongoTemplate {
        final CountDownLatch read = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        StallingStore(MongoClient client) {
            super(client, "latchkey");
        }

        @Override
        public <T> T findById(Object id, Class<T> type) {
            T found = super.findById(id, type);
            if (Thread.currentThread().getName().equals(LATE)) {
                read.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return found;
        }
    }

    private CompletableFuture<Void> late(Runnable handler) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            handler.run();
            done.complete(null);
        }, LATE);
        thread.start();
        return done;
    }

    @Test
    void aLateKeyEventDoesNotPutAnOlderStateBack() throws Exception {
        IssuedKey key = IssuedKey.issue(UUID.randomUUID().toString());
        appendKeyEvent(key.keyId(), 0, new ApiKeyCreatedEvent(key.keyId(), key.developerId(), "raced",
                key.secretHash(), "lk_test_…race", List.of("read"), now(), null, null));
        await().atMost(Duration.ofSeconds(10)).until(() -> keys.find(key.keyId()).isPresent());
        StallingStore store = new StallingStore(mongoClient);
        ApiKeyScopesChangedEvent scopes = new ApiKeyScopesChangedEvent(key.keyId(), List.of("write"), now());

        CompletableFuture<Void> lateWrite = late(() -> new KeyProjection(store).on(scopes, 1));
        assertThat(store.read.await(10, TimeUnit.SECONDS)).as("the late handler stalled on its read").isTrue();
        keys.on(scopes, 1);
        keys.on(new ApiKeyRevokedEvent(key.keyId(), "leaked", now()), 2);
        store.release.countDown();
        lateWrite.get(10, TimeUnit.SECONDS);

        KeyView view = keys.find(key.keyId()).orElseThrow();
        assertThat(view.status()).isEqualTo(KeyStatus.REVOKED);
        assertThat(view.version()).isEqualTo(2);
    }

    @Test
    void aLateDeveloperEventDoesNotPutAnOlderDefaultBack() throws Exception {
        String developerId = UUID.randomUUID().toString();
        append("DeveloperAccount", developerId, 0,
                new DeveloperRegisteredEvent(developerId, "Raced", "raced@example.com", now()));
        await().atMost(Duration.ofSeconds(10)).until(() -> developers.find(developerId).isPresent());
        StallingStore store = new StallingStore(mongoClient);
        DeveloperRateLimitChangedEvent first =
                new DeveloperRateLimitChangedEvent(developerId, new RateLimit(10, 60, null), now());

        CompletableFuture<Void> lateWrite = late(() -> new DeveloperProjection(store).on(first, 1));
        assertThat(store.read.await(10, TimeUnit.SECONDS)).as("the late handler stalled on its read").isTrue();
        developers.on(first, 1);
        developers.on(new DeveloperRateLimitChangedEvent(developerId, null, now()), 2);
        store.release.countDown();
        lateWrite.get(10, TimeUnit.SECONDS);

        DeveloperView view = developers.find(developerId).orElseThrow();
        assertThat(view.defaultRateLimit()).isNull();
        assertThat(view.version()).isEqualTo(2);
    }
}
