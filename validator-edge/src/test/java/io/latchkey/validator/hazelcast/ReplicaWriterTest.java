package io.latchkey.validator.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent.LifecycleState;
import com.hazelcast.instance.impl.LifecycleServiceImpl;
import com.hazelcast.map.IMap;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.api.secret.KeyHasher;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReplicaWriterTest {

    private TestCluster cluster;
    private HazelcastInstance writerMember;
    private ReplicaWriter writer;

    @BeforeEach
    void start() {
        cluster = new TestCluster();
        writerMember = cluster.startMember();
        writer = ReplicaWriter.of(writerMember);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private static KeyHash newHash() {
        return KeyHasher.sha256().hash(KeyFormat.forEnvironment("test").generate());
    }

    private static ActiveKeyEntry active(long version) {
        return new ActiveKeyEntry("k", "d", List.of("read"), null, null, KeyStatus.ACTIVE, version, null);
    }

    @Test
    void olderAndEqualVersionsAreDropped() {
        KeyHash hash = newHash();
        assertThat(writer.write(hash, active(2))).isTrue();
        assertThat(writer.write(hash, active(1))).isFalse();
        assertThat(writer.write(hash, active(2))).isFalse();
        assertThat(writer.read(hash).version()).isEqualTo(2);
        assertThat(writer.write(hash, active(3))).isTrue();
    }

    @Test
    void bulkWritesFollowTheSameRuleAsSingleWrites() {
        KeyHash revoked = newHash();
        KeyHash newer = newHash();
        KeyHash fresh = newHash();
        writer.write(revoked, active(1).withState(List.of("read"), null, KeyStatus.REVOKED, 1, null));
        writer.write(newer, active(4));
        int written = writer.writeAll(java.util.Map.of(revoked, active(9), newer, active(3), fresh, active(0)));
        assertThat(written).isEqualTo(1);
        assertThat(writer.read(revoked).status()).isEqualTo(KeyStatus.REVOKED);
        assertThat(writer.read(newer).version()).isEqualTo(4);
        assertThat(writer.read(fresh)).isEqualTo(active(0));
    }

    @Test
    void aTombstoneIsNeverUndoneEvenByAHigherVersion() {
        KeyHash hash = newHash();
        writer.write(hash, active(1));
        writer.write(hash, active(1).withState(List.of("read"), null, KeyStatus.REVOKED, 2, null));
        assertThat(writer.write(hash, active(5))).isFalse();
        assertThat(writer.read(hash).status()).isEqualTo(KeyStatus.REVOKED);
    }

    @Test
    void aJoiningMemberBecomesReadyOnlyOnceItHoldsWhatTheWriterPublished() throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            writer.write(newHash(), active(0));
        }
        HazelcastInstance edge = cluster.startMember();
        HazelcastKeyReplica replica = HazelcastKeyReplica.of(edge);
        assertThat(replica.isReady()).as("nothing published yet").isFalse();

        writer.publishCaughtUp(Instant.now());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!replica.isReady() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(replica.isReady()).isTrue();
    }

    @Test
    void aWriterStartingIntoAWarmClusterNeverUndoesATombstone() {
        java.util.Map<KeyHash, ActiveKeyEntry> bulk = new java.util.HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            bulk.put(newHash(), active(0));
        }
        writer.writeAll(bulk);
        KeyHash revoked = newHash();
        writer.write(revoked, active(0));
        writer.write(revoked, active(0).withState(List.of("read"), null, KeyStatus.REVOKED, 1, null));
        writer.publishCaughtUp(Instant.now());

        // A restarted query side replays from the first event while its own copy is still filling.
        ReplicaWriter restarted = ReplicaWriter.of(cluster.startMember());
        assertThat(restarted.write(revoked, active(0))).isFalse();
        assertThat(restarted.read(revoked).status()).isEqualTo(KeyStatus.REVOKED);
        assertThat(writer.read(revoked).status()).isEqualTo(KeyStatus.REVOKED);
    }

    @Test
    void aPublishedSizeThatWasLostIsPublishedAgainWhileTheMapIsUnchanged() throws InterruptedException {
        writer.write(newHash(), active(0));
        writer.publishCaughtUp(Instant.now());
        IMap<String, Long> meta = ReplicaMaps.meta(writerMember);
        assertThat(meta.get(ReplicaMaps.PUBLISHED_SIZE)).isEqualTo(1L);

        // As when every member holding the entry or a backup of it left at once.
        meta.delete(ReplicaMaps.PUBLISHED_SIZE);
        Thread.sleep(1_100);
        writer.publishCaughtUp(Instant.now());

        assertThat(meta.get(ReplicaMaps.PUBLISHED_SIZE))
                .as("a restarted writer would take a warm cluster for a cold one").isEqualTo(1L);
    }

    /**
     * A merge empties this member's copy, against which the writer's rule is checked: a write made meanwhile would find
     * no tombstone and put an older entry over the other side's revocation, so it waits until the merge has ended.
     */
    @Test
    void aWriteDuringASplitBrainMergeWaitsUntilTheMergeHasEnded() throws Exception {
        KeyHash hash = newHash();
        writer.write(hash, active(1));
        writer.publishCaughtUp(Instant.now());
        LifecycleServiceImpl lifecycle = (LifecycleServiceImpl) writerMember.getLifecycleService();
        lifecycle.fireLifecycleEvent(LifecycleState.MERGING);
        try {
            CompletableFuture<Boolean> written = CompletableFuture.supplyAsync(() -> writer.write(hash, active(2)));
            Thread.sleep(500);
            assertThat(written).as("a write while the merge runs").isNotDone();

            lifecycle.fireLifecycleEvent(LifecycleState.MERGED);
            assertThat(written.get(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            lifecycle.fireLifecycleEvent(LifecycleState.MERGED);
        }
        assertThat(writer.read(hash).version()).isEqualTo(2);
    }

    /**
     * A merge that lost entries leaves the copy short of the published size for good; the writes that would restore
     * them (the reconciliation after the merge) must not wait for ever on it.
     */
    @Test
    void afterAMergeThatLeftTheCopyShortWritesGoOnOnceTheBoundHasPassedSinceTheMerge() throws Exception {
        writer.write(newHash(), active(1));
        writer.publishCaughtUp(Instant.now());
        IMap<String, Long> meta = ReplicaMaps.meta(writerMember);
        meta.put(ReplicaMaps.PUBLISHED_SIZE, 1_000L);
        LifecycleServiceImpl lifecycle = (LifecycleServiceImpl) writerMember.getLifecycleService();
        lifecycle.fireLifecycleEvent(LifecycleState.MERGING);
        lifecycle.fireLifecycleEvent(LifecycleState.MERGED);
        // A writer that never wrote before (a query side restarted during the split) is bounded as well.
        ReplicaWriter fresh = ReplicaWriter.of(writerMember, Duration.ofSeconds(2));

        CompletableFuture<Boolean> written = CompletableFuture.supplyAsync(() -> fresh.write(newHash(), active(1)));

        Thread.sleep(1_000);
        assertThat(written).as("still waiting for the copy, within the bound").isNotDone();
        assertThat(written.get(10, TimeUnit.SECONDS)).as("written once the bound has passed").isTrue();
    }

    @Test
    void theFirstWriterOfAColdClusterDoesNotWait() {
        KeyHash hash = newHash();
        assertThat(writer.write(hash, active(0))).isTrue();
    }

    @Test
    void writesReachEveryMember() throws InterruptedException {
        HazelcastInstance edge = cluster.startMember();
        HazelcastKeyReplica replica = HazelcastKeyReplica.of(edge);
        KeyHash hash = newHash();
        writer.write(hash, active(0));
        writer.write(hash, active(0).withState(List.of("read"), null, KeyStatus.REVOKED, 1, null));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((replica.lookup(hash) == null || replica.lookup(hash).status() != KeyStatus.REVOKED)
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(replica.lookup(hash).status()).isEqualTo(KeyStatus.REVOKED);
    }
}
