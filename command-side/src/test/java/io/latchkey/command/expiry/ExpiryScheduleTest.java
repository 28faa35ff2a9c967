package io.latchkey.command.expiry;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyExpiredEvent;
import io.latchkey.api.ApiKeyRenewedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.command.ServedTemplate;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.data.mongodb.core.MongoTemplate;

/** The projection as a plain object over the embedded store, served over TCP as the services use it. */
class ExpiryScheduleTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

    @TempDir
    Path dataDir;

    private ServedTemplate store;
    private MongoTemplate mongo;
    private ExpirySchedule schedule;

    @BeforeEach
    void setUp() {
        store = ServedTemplate.start(dataDir);
        mongo = store.mongo();
        schedule = new ExpirySchedule(mongo);
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    private static ApiKeyCreatedEvent created(String keyId, Instant expiresAt) {
        return new ApiKeyCreatedEvent(keyId, "dev", "ci", "a".repeat(64), "lk_live_…aaaa", List.of("read"), T0,
                expiresAt, null);
    }

    @Test
    void theSweepsQueryHasAnIndex() {
        assertThat(mongo.indexOps(KeyExpiry.class).getIndexInfo())
                .anySatisfy(index -> assertThat(index.isIndexForFields(List.of("expiresAt"))).isTrue());
    }

    @Test
    void keyIsDueFromItsExpiry() {
        schedule.on(created("k1", T0.plusSeconds(60)));
        assertThat(schedule.due(T0.plusSeconds(59), 10)).isEmpty();
        assertThat(schedule.due(T0.plusSeconds(60), 10)).containsExactly("k1");
    }

    @Test
    void keyWithoutExpiryIsNeverDue() {
        schedule.on(created("k1", null));
        assertThat(schedule.due(Instant.parse("9999-01-01T00:00:00Z"), 10)).isEmpty();
        assertThat(mongo.getCollection(ExpirySchedule.COLLECTION).countDocuments()).isZero();
    }

    @Test
    void renewalMovesTheExpiry() {
        schedule.on(created("k1", T0.plusSeconds(60)));
        schedule.on(new ApiKeyRenewedEvent("k1", T0.plusSeconds(3600), T0.plusSeconds(30)));
        assertThat(schedule.due(T0.plusSeconds(60), 10)).isEmpty();
        assertThat(schedule.due(T0.plusSeconds(3600), 10)).containsExactly("k1");
    }

    @Test
    void revokedKeyIsNoLongerScheduled() {
        schedule.on(created("k1", T0.plusSeconds(60)));
        schedule.on(new ApiKeyRevokedEvent("k1", null, T0.plusSeconds(1)));
        assertThat(schedule.due(T0.plusSeconds(60), 10)).isEmpty();
    }

    @Test
    void expiredKeyIsNoLongerScheduled() {
        schedule.on(created("k1", T0.plusSeconds(60)));
        schedule.on(new ApiKeyExpiredEvent("k1", T0.plusSeconds(60)));
        assertThat(schedule.due(T0.plusSeconds(61), 10)).isEmpty();
    }

    @Test
    void redeliveredEventsLeaveTheSameSchedule() {
        ApiKeyCreatedEvent event = created("k1", T0.plusSeconds(60));
        schedule.on(event);
        schedule.on(event);
        ApiKeyRevokedEvent revoked = new ApiKeyRevokedEvent("k1", null, T0.plusSeconds(1));
        schedule.on(revoked);
        schedule.on(revoked);
        schedule.on(created("k2", T0.plusSeconds(60)));
        schedule.on(created("k2", T0.plusSeconds(60)));
        assertThat(mongo.getCollection(ExpirySchedule.COLLECTION).countDocuments()).isEqualTo(1);
        assertThat(schedule.due(T0.plusSeconds(60), 10)).containsExactly("k2");
    }

    @Test
    void dueKeysComeEarliestFirstUpToTheLimit() {
        schedule.on(created("late", T0.plusSeconds(30)));
        schedule.on(created("early", T0.plusSeconds(10)));
        schedule.on(created("middle", T0.plusSeconds(20)));
        assertThat(schedule.due(T0.plusSeconds(60), 2)).containsExactly("early", "middle");
    }
}
