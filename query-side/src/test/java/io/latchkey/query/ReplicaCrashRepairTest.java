package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOptions;
import io.latchkey.api.ApiKeyCreatedEvent;
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
import java.util.List;
import java.util.UUID;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.MongoTemplate;

/**
 * A crash of the embedded store takes back events the replica projection had already folded and written; the events
 * appended after it reuse their sequence numbers. With the real embedded store and a real Hazelcast member: the crash
 * is the lost event's document removed and the store's crash count raised, as its next start records it.
 */
class ReplicaCrashRepairTest extends QuerySideTestSupport {

    private MongoTemplate own;
    private HazelcastInstance member;
    private ReplicaSnapshot snapshot;
    private ActiveKeyReplicaProjection projection;
    private ReplicaWriter map;
    private String developerId;

    @BeforeEach
    void projectionOfItsOwn() {
        own = new MongoTemplate(mongoClient, "replica-" + UUID.randomUUID());
        int port = LoopbackPorts.free();
        member = Hazelcast.newHazelcastInstance(new ReplicaCluster("qs-crash-" + UUID.randomUUID(), "127.0.0.1", port,
                List.of("127.0.0.1:" + port)).memberConfig("query-side-test-crash-" + UUID.randomUUID()));
        snapshot = new ReplicaSnapshot(own);
        projection = new ActiveKeyReplicaProjection(member, snapshot);
        new ReplicaCrashRepair(snapshot, projection, eventStore);
        map = ReplicaWriter.of(member);
        developerId = UUID.randomUUID().toString();
        append("DeveloperAccount", developerId, 0,
                new DeveloperRegisteredEvent(developerId, "ada", "ada@example.com", now()));
    }

    @AfterEach
    void stop() {
        snapshot.close();
        member.shutdown();
        own.getDb().drop();
    }

    private void created(IssuedKey key, RateLimit rateLimit) {
        ApiKeyCreatedEvent event = new ApiKeyCreatedEvent(key.keyId(), developerId, "crashed", key.secretHash(),
                "lk_test_…aaaa", List.of("read"), now(), now().plusSeconds(3_600), rateLimit);
        appendKeyEvent(key.keyId(), 0, event);
        projection.on(event, 0);
    }

    /** Lost: folded and written, then taken back by the crash. */
    private void lost(String aggregateId, long sequence) {
        assertThat(mongoClient.getDatabase("latchkey").getCollection("domainevents").deleteOne(Filters.and(
                Filters.eq("aggregateIdentifier", aggregateId), Filters.eq("sequenceNumber", sequence)))
                .getDeletedCount()).isEqualTo(1);
    }

    /** The store's next start after a crash: a new id, and one more crash. */
    private void crashed() {
        long crashes = StoreStart.of(own.getDb()).crashes() + 1;
        own.getCollection("latchkey_markers").replaceOne(new Document("_id", "store-start"),
                new Document("_id", "store-start").append("id", UUID.randomUUID().toString())
                        .append("crashes", crashes), new ReplaceOptions().upsert(true));
    }

    private ActiveKeyEntry entry(IssuedKey key) {
        return map.read(new KeyHash(key.secretHash()));
    }

    @Test
    void aChangeTheCrashTookBackIsReplacedAtEveryEdgeByTheOneAppendedAfterIt() {
        IssuedKey key = IssuedKey.issue(developerId);
        created(key, null);
        ApiKeyScopesChangedEvent granted = new ApiKeyScopesChangedEvent(key.keyId(), List.of("read", "admin"), now());
        appendKeyEvent(key.keyId(), 1, granted);
        projection.on(granted, 1);
        assertThat(entry(key).scopes()).containsExactly("read", "admin");
        // A save just before the crash, which found none: what was changed before it may still be lost.
        snapshot.save();

        lost(key.keyId(), 1);
        ApiKeyScopesChangedEvent retried = new ApiKeyScopesChangedEvent(key.keyId(), List.of("write"), now());
        appendKeyEvent(key.keyId(), 1, retried);
        projection.on(retried, 1);
        assertThat(entry(key).scopes()).as("the same version: the lost state stays").containsExactly("read", "admin");
        crashed();

        snapshot.save();

        assertThat(entry(key).scopes()).containsExactly("write");
        assertThat(entry(key).version()).isEqualTo(1);
    }

    @Test
    void theSecretOfARotationRetriedAfterTheCrashIsAdmittedAndTheLostOnesIsNot() {
        IssuedKey first = IssuedKey.issue(developerId);
        IssuedKey lostSecret = first.rotated();
        IssuedKey retriedSecret = first.rotated();
        created(first, null);
        ApiKeyRotatedEvent lostRotation = new ApiKeyRotatedEvent(first.keyId(), lostSecret.secretHash(),
                "lk_test_…bbbb", first.secretHash(), now().plusSeconds(600), now(), null);
        appendKeyEvent(first.keyId(), 1, lostRotation);
        projection.on(lostRotation, 1);

        lost(first.keyId(), 1);
        ApiKeyRotatedEvent rotation = new ApiKeyRotatedEvent(first.keyId(), retriedSecret.secretHash(),
                "lk_test_…cccc", first.secretHash(), now(), now(), null);
        appendKeyEvent(first.keyId(), 1, rotation);
        projection.on(rotation, 1);
        assertThat(entry(retriedSecret)).as("never written: the lost rotation has its version").isNull();
        crashed();

        snapshot.save();

        assertThat(entry(retriedSecret).status()).isEqualTo(KeyStatus.ACTIVE);
        assertThat(entry(retriedSecret).secretValidUntil()).isNull();
        assertThat(entry(first).secretValidUntil()).as("no grace, as the rotation after the crash gave none")
                .isEqualTo(rotation.rotatedAt());
        assertThat(entry(lostSecret).status()).isEqualTo(KeyStatus.REVOKED);
    }

    @Test
    void aKeyWhoseCreationTheCrashTookBackHasTheSecretOfTheCreateAfterIt() {
        IssuedKey lostKey = IssuedKey.issue(developerId);
        created(lostKey, null);
        lost(lostKey.keyId(), 0);
        IssuedKey retried = new IssuedKey(lostKey.keyId(), developerId, null, lostKey.rotated().secretHash());
        created(retried, null);
        assertThat(entry(retried)).isNull();
        crashed();

        snapshot.save();

        assertThat(entry(retried).status()).isEqualTo(KeyStatus.ACTIVE);
        assertThat(entry(lostKey).status()).isEqualTo(KeyStatus.REVOKED);
    }

    @Test
    void aDefaultRateLimitTheCrashTookBackIsReplacedInEveryKeyOfTheDeveloper() {
        IssuedKey key = IssuedKey.issue(developerId);
        created(key, null);
        DeveloperRateLimitChangedEvent lostDefault = new DeveloperRateLimitChangedEvent(developerId,
                new RateLimit(50, 60, null), now());
        append("DeveloperAccount", developerId, 1, lostDefault);
        projection.on(lostDefault, 1);
        assertThat(entry(key).rateLimit()).isEqualTo(new RateLimit(50, 60, null));

        lost(developerId, 1);
        DeveloperRateLimitChangedEvent retried = new DeveloperRateLimitChangedEvent(developerId,
                new RateLimit(9, 60, null), now());
        append("DeveloperAccount", developerId, 1, retried);
        projection.on(retried, 1);
        assertThat(entry(key).rateLimit()).isEqualTo(new RateLimit(50, 60, null));
        crashed();

        snapshot.save();

        assertThat(entry(key).rateLimit()).isEqualTo(new RateLimit(9, 60, null));
        assertThat(entry(key).limitsVersion()).isEqualTo(1);
    }

    /**
     * The command side's early tombstone of a revocation appended after the repair read the key's events (here: not in
     * the log at all), or another query side's newer state: a writer ahead of this one wrote it, and it stays.
     */
    @Test
    void anEntryAWriterAheadOfTheRepairWroteStays() {
        IssuedKey key = IssuedKey.issue(developerId);
        created(key, null);
        ActiveKeyEntry held = entry(key);
        map.write(new KeyHash(key.secretHash()), held.revoked(1));
        crashed();

        snapshot.save();

        assertThat(entry(key).status()).isEqualTo(KeyStatus.REVOKED);
        assertThat(entry(key).version()).isEqualTo(1);
    }
}
