package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.LifecycleEvent.LifecycleState;
import com.hazelcast.instance.impl.LifecycleServiceImpl;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.validator.hazelcast.ReplicaMaps;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.MongoTemplate;

/**
 * After a split-brain merge the replicated map is made to agree with the read models again. The divergence a merge
 * can leave (the other side's older entry over a tombstone) is put in place by hand, and the merge announced through
 * the member's own lifecycle service; partitioning real members is {@code PartitionHealTest}'s part.
 */
class SplitBrainReconciliationTest extends QuerySideTestSupport {

    private static final Duration SETTLED = Duration.ofSeconds(10);

    @Autowired
    KeyProjection keys;
    @Autowired
    MongoTemplate mongo;

    private ReplicatedMap<KeyHash, byte[]> map() {
        return hazelcast.getReplicatedMap(ReplicaMaps.ACTIVE_KEYS);
    }

    private ActiveKeyEntry entry(IssuedKey key) {
        return ReplicaWriter.of(hazelcast).read(new KeyHash(key.secretHash()));
    }

    /** A key created and revoked through the real processors, settled in the read model and in the map. */
    private IssuedKey revokedKey() {
        IssuedKey key = IssuedKey.issue(UUID.randomUUID().toString());
        appendKeyEvent(key.keyId(), 0, new ApiKeyCreatedEvent(key.keyId(), key.developerId(), "split",
                key.secretHash(), "lk_test_…abcd", List.of("read"), now(), null, null));
        appendKeyEvent(key.keyId(), 1, new ApiKeyRevokedEvent(key.keyId(), "leaked", now()));
        await().atMost(SETTLED).until(() -> keys.find(key.keyId()).map(KeyView::version).orElse(-1L) == 1
                && entry(key) != null && entry(key).version() == 1);
        return key;
    }

    private static ActiveKeyEntry staleActive(IssuedKey key) {
        return new ActiveKeyEntry(key.keyId(), key.developerId(), List.of("read"), null, null, KeyStatus.ACTIVE, 0,
                null);
    }

    @Test
    void tombstoneLostInAMergeIsWrittenAgainOnceTheMemberReportsTheMerge() {
        IssuedKey key = revokedKey();
        // What a merge keeping the other side's entry does: it bypasses the writer's newer-wins rule.
        map().put(new KeyHash(key.secretHash()), staleActive(key).toBytes());
        assertThat(entry(key).status()).as("the divergence is in place").isEqualTo(KeyStatus.ACTIVE);

        ((LifecycleServiceImpl) hazelcast.getLifecycleService()).fireLifecycleEvent(LifecycleState.MERGED);

        await().atMost(SETTLED).until(() -> entry(key).status() == KeyStatus.REVOKED);
        assertThat(entry(key).version()).isEqualTo(1);
    }

    @Test
    void divergedEntryIsCorrectedFromTheKeysReadModelWhenTheReplicaStateHasNotGotThatFar() throws Exception {
        IssuedKey key = revokedKey();
        map().put(new KeyHash(key.secretHash()), staleActive(key).toBytes());
        // A replica projection that has replayed nothing yet: only the read model knows the revocation.
        try (ReplicaSnapshot nothingSaved = freshSnapshot()) {
            ReplicaReconciler reconciler = new ReplicaReconciler(hazelcast,
                    new ActiveKeyReplicaProjection(hazelcast, nothingSaved), mongo);
            try {
                int written = reconciler.reconcile();

                assertThat(written).isPositive();
                ActiveKeyEntry corrected = entry(key);
                assertThat(corrected.status()).isEqualTo(KeyStatus.REVOKED);
                assertThat(corrected.version()).isEqualTo(1);
                assertThat(corrected.keyId()).isEqualTo(key.keyId());
            } finally {
                reconciler.stop();
            }
        }
    }

    /**
     * From a merge's start until its reconciliation has written every key again, this writer confirms nothing: the
     * other side's members would take a confirmation as covering entries that have not reached them yet.
     */
    @Test
    void theWriterConfirmsNothingFromAMergesStartUntilItHasReconciledAfterIt() throws Exception {
        ReplicatedMap<String, Long> heads = hazelcast.getReplicatedMap(ReplicaMaps.HEADS);
        String writerId = hazelcast.getCluster().getLocalMember().getUuid().toString();
        await().atMost(SETTLED).until(() -> heads.get(writerId) != null);
        LifecycleServiceImpl lifecycle = (LifecycleServiceImpl) hazelcast.getLifecycleService();
        lifecycle.fireLifecycleEvent(LifecycleState.MERGING);
        long mergeBegan;
        try {
            Thread.sleep(300);
            mergeBegan = heads.get(writerId);
            Thread.sleep(1_000);
            assertThat(heads.get(writerId)).as("confirmations while the merge runs").isEqualTo(mergeBegan);
        } finally {
            lifecycle.fireLifecycleEvent(LifecycleState.MERGED);
        }

        await().atMost(SETTLED).until(() -> heads.get(writerId) > mergeBegan);
    }

    @Test
    void reconciliationNeverReplacesANewerEntry() throws Exception {
        IssuedKey key = IssuedKey.issue(UUID.randomUUID().toString());
        appendKeyEvent(key.keyId(), 0, new ApiKeyCreatedEvent(key.keyId(), key.developerId(), "ahead",
                key.secretHash(), "lk_test_…abcd", List.of("read"), now(), null, null));
        await().atMost(SETTLED).until(() -> keys.find(key.keyId()).isPresent() && entry(key) != null);
        // The map ahead of both read models, as when the next event's write has replicated before they caught up.
        ActiveKeyEntry ahead = new ActiveKeyEntry(key.keyId(), key.developerId(), List.of("admin"), null, null,
                KeyStatus.ACTIVE, 7, null);
        map().put(new KeyHash(key.secretHash()), ahead.toBytes());
        try (ReplicaSnapshot nothingSaved = freshSnapshot()) {
            ReplicaReconciler reconciler = new ReplicaReconciler(hazelcast,
                    new ActiveKeyReplicaProjection(hazelcast, nothingSaved), mongo);
            try {
                reconciler.reconcile();
            } finally {
                reconciler.stop();
            }
        }

        assertThat(entry(key)).isEqualTo(ahead);
    }
}
