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
import io.latchkey.support.store.StoreStart;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.MongoTemplate;

/**
 * The replica projection's saved states and position, with the real embedded store and real Hazelcast members: a
 * start into a cold cluster rebuilds the map from them without reading the log, and reads the log from the position.
 */
class ReplicaSnapshotTest extends QuerySideTestSupport {

    private static final Duration SAVED = Duration.ofSeconds(15);

    @Autowired
    ReplicaSnapshot snapshot;
    @Autowired
    MongoTemplate mongo;
    @Autowired
    EventProcessingConfiguration processing;

    /** Keys in every state the map holds, and the hashes each must have in it. */
    private final Map<String, List<String>> hashes = new LinkedHashMap<>();
    private MongoTemplate own;
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

    /** A database of this test's own, for snapshots read and saved apart from the running query side's. */
    @BeforeEach
    void ownDatabase() {
        own = new MongoTemplate(mongoClient, "replica-" + UUID.randomUUID());
    }

    @AfterEach
    void dropOwnDatabase() {
        own.getDb().drop();
    }

    /** A snapshot in the test's own database, whose processor has applied every event up to position 10. */
    private ReplicaSnapshot ownSnapshot() {
        ReplicaSnapshot alone = new ReplicaSnapshot(own);
        alone.takeSaved();
        alone.tokenStore().initializeTokenSegments(ActiveKeyReplicaProjection.GROUP, 1,
                new GlobalSequenceTrackingToken(10));
        return alone;
    }

    private static ReplicaKeyState state(long version) {
        return new ReplicaKeyState("developer", List.of("read"), null, KeyStatus.ACTIVE, null, 0, "ab".repeat(32),
                Map.of(), version);
    }

    /** As the embedded store's next start records it: a new id, and one more crash after a crash. */
    private void restarted(boolean afterCrash) {
        long crashes = StoreStart.of(own.getDb()).crashes() + (afterCrash ? 1 : 0);
        own.getCollection("latchkey_markers").replaceOne(new Document("_id", "store-start"),
                new Document("_id", "store-start").append("id", UUID.randomUUID().toString())
                        .append("crashes", crashes), new ReplaceOptions().upsert(true));
    }

    @Test
    void aCleanRestartOfTheStoreKeepsTheSnapshot() {
        try (ReplicaSnapshot alone = ownSnapshot()) {
            alone.keyChanged("key-a", state(3));
            alone.save();
            restarted(false);
            alone.keyChanged("key-b", state(5));
            alone.save();

            try (ReplicaSnapshot next = new ReplicaSnapshot(own)) {
                ReplicaSnapshot.Saved saved = next.takeSaved();
                assertThat(saved.position()).hasValue(10);
                assertThat(saved.keys()).containsOnlyKeys("key-a", "key-b");
            }
        }
    }

    @Test
    void noSnapshotSavedBeforeACrashOrByAQuerySideRunningThroughItIsReadAgain() {
        try (ReplicaSnapshot throughIt = ownSnapshot()) {
            throughIt.keyChanged("key-a", state(3));
            throughIt.save();
            // A crash, then a clean restart before the query side that ran through both saved again.
            restarted(true);
            restarted(false);

            try (ReplicaSnapshot startedAfter = new ReplicaSnapshot(own)) {
                ReplicaSnapshot.Saved saved = startedAfter.takeSaved();
                assertThat(saved.position()).as("the log is replayed").isEmpty();
                assertThat(saved.keys()).isEmpty();
                assertThat(own.collectionExists(ReplicaSnapshot.keys(0))).as("the earlier snapshot dropped").isFalse();
                startedAfter.tokenStore().initializeTokenSegments(ActiveKeyReplicaProjection.GROUP, 1,
                        new GlobalSequenceTrackingToken(20));
                startedAfter.keyChanged("key-b", state(1));
                startedAfter.save();

                throughIt.keyChanged("key-c", state(7));
                throughIt.save();
                assertThat(own.collectionExists(ReplicaSnapshot.keys(0)))
                        .as("nothing saved by the one that ran through").isFalse();

                try (ReplicaSnapshot next = new ReplicaSnapshot(own)) {
                    ReplicaSnapshot.Saved after = next.takeSaved();
                    assertThat(after.position()).hasValue(20);
                    assertThat(after.keys()).as("only what the query side started after the crash saved")
                            .containsOnlyKeys("key-b");
                }
            }
        }
    }

    @Test
    void statesSavedWithoutAPositionAreNotRead() {
        own.insert(new ReplicaSnapshot.SavedKey("key-a", state(3), 3), ReplicaSnapshot.keys(0));

        try (ReplicaSnapshot next = new ReplicaSnapshot(own)) {
            assertThat(next.takeSaved().keys()).isEmpty();
        }
    }

    @Test
    void aSavedStateIsOnlyEverReplacedByANewerOneAndEveryBatchIsSaved() {
        try (ReplicaSnapshot alone = ownSnapshot(); ReplicaSnapshot other = ownSnapshot()) {
            alone.keyChanged("key-a", state(5));
            alone.save();
            other.keyChanged("key-a", state(4));
            other.save();
            alone.keyChanged("key-a", state(3));
            alone.keyChanged("key-a", state(2));
            alone.save();

            assertThat(own.findById("key-a", ReplicaSnapshot.SavedKey.class, ReplicaSnapshot.keys(0)).version())
                    .isEqualTo(5);
            alone.keyChanged("key-a", state(6));
            for (int i = 0; i < 1_500; i++) {
                alone.keyChanged("key-" + i, state(1));
            }
            alone.save();
            assertThat(own.findById("key-a", ReplicaSnapshot.SavedKey.class, ReplicaSnapshot.keys(0)).version())
                    .isEqualTo(6);
            assertThat(own.getCollection(ReplicaSnapshot.keys(0)).countDocuments()).isEqualTo(1_501);
        }
    }

    /**
     * More states than one reply can carry (the driver refuses one over 48 MB; these are about 2 KB each), as a
     * snapshot of some 117,000 keys is: a start reads them a page at a time, or fails five times and gives up.
     */
    @Test
    void aSnapshotLargerThanOneReplyIsReadWhole() {
        int keys = 25_000;
        ReplicaKeyState wide = new ReplicaKeyState("developer",
                IntStream.range(0, 60).mapToObj(i -> "a-scope-with-a-long-name-" + i).toList(), null,
                KeyStatus.ACTIVE, null, 0, "ab".repeat(32), Map.of(), 1);
        try (ReplicaSnapshot alone = ownSnapshot()) {
            for (int i = 0; i < keys; i++) {
                alone.keyChanged("key-" + i, wide);
            }
            alone.save();
        }

        try (ReplicaSnapshot next = new ReplicaSnapshot(own)) {
            ReplicaSnapshot.Saved saved = next.takeSaved();
            assertThat(saved.position()).hasValue(10);
            assertThat(saved.keys()).hasSize(keys);
            assertThat(saved.keys().get("key-" + (keys - 1))).isEqualTo(wide);
        }
    }

    @Test
    void theReplicaProcessorKeepsItsTokenInTheSnapshotsStore() {
        assertThat(processing.tokenStore(ActiveKeyReplicaProjection.GROUP)).isSameAs(snapshot.tokenStore());
    }
}
