package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.mongodb.client.model.ReplaceOptions;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.ApiKeyScopesChangedEvent;
import io.latchkey.api.DeveloperRateLimitChangedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;

/**
 * The replica projection's saved states and position, with the real embedded store and real Hazelcast members: a
 * start into a cold cluster rebuilds the map from them without reading the log, and reads the log from the position.
 */
class ReplicaSnapshotTest extends QuerySideTestSupport {

    private static final Duration SAVED = Duration.ofSeconds(15);

    @Autowired
    HazelcastInstance hazelcast;
    @Autowired
    ReplicaSnapshot snapshot;
    @Autowired
    MongoTemplate mongo;
    @Autowired
    EventProcessingConfiguration processing;

    /** Keys in every state the map holds, and the hashes each must have in it. */
    private final Map<String, List<String>> hashes = new LinkedHashMap<>();
    private IssuedKey rotated;
    private IssuedKey successor;
    private IssuedKey third;
    private IssuedKey revoked;
    private IssuedKey limited;

    private void keysInEveryState() {
        String developerId = UUID.randomUUID().toString();
        append("DeveloperAccount", developerId, 0,
                new DeveloperRegisteredEvent(developerId, "ada", "ada@example.com", now()));
        append("DeveloperAccount", developerId, 1,
                new DeveloperRateLimitChangedEvent(developerId, new RateLimit(50, 60, null), now()));

        rotated = IssuedKey.issue(developerId);
        successor = rotated.rotated();
        third = successor.rotated();
        appendKeyEvent(rotated.keyId(), 0, created(rotated, null));
        appendKeyEvent(rotated.keyId(), 1, new ApiKeyRotatedEvent(rotated.keyId(), successor.secretHash(),
                "lk_test_…bbbb", rotated.secretHash(), now().plusSeconds(600), now(), null));
        appendKeyEvent(rotated.keyId(), 2, new ApiKeyScopesChangedEvent(rotated.keyId(), List.of("write"), now()));
        hashes.put(rotated.keyId(), List.of(rotated.secretHash(), successor.secretHash()));

        revoked = IssuedKey.issue(developerId);
        appendKeyEvent(revoked.keyId(), 0, created(revoked, null));
        appendKeyEvent(revoked.keyId(), 1, new ApiKeyRevokedEvent(revoked.keyId(), "leaked", now()));
        hashes.put(revoked.keyId(), List.of(revoked.secretHash()));

        limited = IssuedKey.issue(developerId);
        appendKeyEvent(limited.keyId(), 0, created(limited, new RateLimit(5, 1, 10L)));
        hashes.put(limited.keyId(), List.of(limited.secretHash()));
    }

    private static ApiKeyCreatedEvent created(IssuedKey key, RateLimit rateLimit) {
        return new ApiKeyCreatedEvent(key.keyId(), key.developerId(), "snapshotted", key.secretHash(),
                "lk_test_…aaaa", List.of("read"), now(), now().plusSeconds(3_600), rateLimit);
    }

    /** The entries the running projection wrote for every hash, once they are at each key's last version. */
    private Map<String, ActiveKeyEntry> awaitProjected() {
        ReplicaWriter map = ReplicaWriter.of(hazelcast);
        await().atMost(SAVED).until(() -> hashes.entrySet().stream().allMatch(key -> {
            long version = eventStore.readEvents(key.getKey(), 0).asStream().mapToLong(
                    DomainEventMessage::getSequenceNumber).max().orElseThrow();
            return key.getValue().stream().allMatch(hash -> map.read(new KeyHash(hash)) != null
                    && map.read(new KeyHash(hash)).version() == version
                    && map.read(new KeyHash(hash)).limitsVersion() == 1);
        }));
        Map<String, ActiveKeyEntry> entries = new LinkedHashMap<>();
        hashes.values().forEach(list -> list.forEach(hash -> entries.put(hash, map.read(new KeyHash(hash)))));
        assertThat(entries.get(revoked.secretHash()).status()).isEqualTo(KeyStatus.REVOKED);
        return entries;
    }

    /** Saves until the saved position holds every event appended so far, as the saver thread would. */
    private long awaitSavedToHead() {
        long head = eventStore.createHeadToken().position().orElseThrow();
        await().atMost(SAVED).until(() -> {
            snapshot.save();
            return snapshot.position().orElse(-1) >= head;
        });
        return snapshot.position().orElseThrow();
    }

    private HazelcastInstance coldMember() {
        int port = LoopbackPorts.free();
        return Hazelcast.newHazelcastInstance(new ReplicaCluster("qs-cold-" + UUID.randomUUID(), "127.0.0.1", port,
                List.of("127.0.0.1:" + port)).memberConfig("query-side-test-cold-" + UUID.randomUUID()));
    }

    @Test
    void aStartIntoAColdClusterRebuildsTheMapFromTheSavedStatesAndReadsTheLogFromTheSavedPosition() {
        keysInEveryState();
        Map<String, ActiveKeyEntry> projected = awaitProjected();
        long position = awaitSavedToHead();

        HazelcastInstance cold = coldMember();
        try (ReplicaSnapshot restarted = new ReplicaSnapshot(mongo)) {
            new ActiveKeyReplicaProjection(cold, restarted);

            ReplicaWriter coldMap = ReplicaWriter.of(cold);
            projected.forEach((hash, entry) ->
                    assertThat(coldMap.read(new KeyHash(hash))).as(hash).isEqualTo(entry));
            assertThat(restarted.tokenStore().fetchToken(ActiveKeyReplicaProjection.GROUP, 0))
                    .isEqualTo(new GlobalSequenceTrackingToken(position));
        } finally {
            cold.shutdown();
        }
    }

    @Test
    void aRestoredProjectionFoldsTheEventsAfterTheSavedPositionOnItsSavedStates() {
        keysInEveryState();
        awaitProjected();
        awaitSavedToHead();

        HazelcastInstance cold = coldMember();
        try (ReplicaSnapshot restarted = new ReplicaSnapshot(mongo)) {
            ActiveKeyReplicaProjection projection = new ActiveKeyReplicaProjection(cold, restarted);
            // Read again from a position before it: already in the saved state, so it changes nothing.
            projection.on(new ApiKeyScopesChangedEvent(rotated.keyId(), List.of("other"), now()), 2);
            projection.on(new ApiKeyRotatedEvent(rotated.keyId(), third.secretHash(), "lk_test_…cccc",
                    successor.secretHash(), now().plusSeconds(60), now(), now().plusSeconds(60)), 3);
            projection.on(new ApiKeyRevokedEvent(limited.keyId(), "done", now()), 1);
            projection.on(new DeveloperRateLimitChangedEvent(rotated.developerId(), new RateLimit(9, 60, null), now()),
                    2);

            ReplicaWriter coldMap = ReplicaWriter.of(cold);
            ActiveKeyEntry newest = coldMap.read(new KeyHash(third.secretHash()));
            assertThat(newest.version()).isEqualTo(3);
            assertThat(newest.scopes()).as("the saved scopes, not the event read again").containsExactly("write");
            assertThat(newest.rateLimit()).isEqualTo(new RateLimit(9, 60, null));
            for (String hash : List.of(rotated.secretHash(), successor.secretHash())) {
                ActiveKeyEntry retired = coldMap.read(new KeyHash(hash));
                assertThat(retired.version()).as(hash).isEqualTo(3);
                assertThat(retired.secretValidUntil()).as(hash).isNotNull();
            }
            assertThat(coldMap.read(new KeyHash(limited.secretHash())).status()).isEqualTo(KeyStatus.REVOKED);
            assertThat(coldMap.read(new KeyHash(limited.secretHash())).rateLimit())
                    .as("its own limit, not the new default").isEqualTo(new RateLimit(5, 1, 10L));
        } finally {
            cold.shutdown();
        }
    }

    @Test
    void aSaveAfterTheStoreRestartedSavesEveryStateAgainBeforeThePosition() {
        keysInEveryState();
        awaitProjected();
        awaitSavedToHead();
        // As a crash of the command side takes back the last second's saves: one key's saved state is gone, and the
        // store starts under a new id.
        mongo.remove(new Query(Criteria.where("_id").is(revoked.keyId())), "replica_keys");
        mongo.getCollection("latchkey_markers").replaceOne(new Document("_id", "store-start"),
                new Document("_id", "store-start").append("id", UUID.randomUUID().toString()),
                new ReplaceOptions().upsert(true));

        snapshot.save();

        assertThat(mongo.findById(revoked.keyId(), ReplicaSnapshot.SavedKey.class)).isNotNull()
                .satisfies(saved -> assertThat(saved.state().status()).isEqualTo(KeyStatus.REVOKED));
    }

    @Test
    void aSnapshotOfAnotherFormatIsDroppedAndTheLogReplayedFromItsStart() {
        MongoTemplate other = new MongoTemplate(mongoClient, "replica-format-" + UUID.randomUUID());
        other.getCollection("replica_position").insertOne(new Document("_id", ActiveKeyReplicaProjection.GROUP)
                .append("position", 42L).append("format", ReplicaSnapshot.FORMAT + 1));
        other.getCollection("replica_keys").insertOne(new Document("_id", "some-key"));

        try (ReplicaSnapshot snapshotOfAnother = new ReplicaSnapshot(other)) {
            ReplicaSnapshot.Saved saved = snapshotOfAnother.takeSaved(() -> { });

            assertThat(saved.position()).isEmpty();
            assertThat(saved.keys()).isEmpty();
            assertThat(other.collectionExists("replica_keys")).isFalse();
        } finally {
            other.getDb().drop();
        }
    }

    @Test
    void theReplicaProcessorKeepsItsTokenInTheSnapshotsStore() {
        assertThat(processing.tokenStore(ActiveKeyReplicaProjection.GROUP)).isSameAs(snapshot.tokenStore());
    }
}
