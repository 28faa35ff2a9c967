package io.latchkey.validator.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.spi.merge.PassThroughMergePolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Readiness is asked per request, from the gateway's event loops too: it must answer without waiting on the cluster.
 */
class ReplicaReadinessTest {

    /**
     * The caller that asks reads the published size itself, so the first (an admin key, minutes after the service
     * started on a cold cluster) finds a fresh answer, not the refusal of a read made before anything was published.
     */
    @Test
    void aReplicaIsReadyAtItsFirstAskThoughTheSizeWasPublishedAfterItWasMade() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            HazelcastInstance writerMember = cluster.startMember();
            HazelcastKeyReplica replica = HazelcastKeyReplica.of(cluster.startMember());
            Thread.sleep(300);
            ReplicaWriter.of(writerMember).publishCaughtUp(Instant.now());
            Thread.sleep(500);

            assertThat(replica.isReady()).isTrue();
        }
    }

    @Test
    void readinessAnswersAtOnceWhileThePublishedSizesOwnerIsCutOff() throws Exception {
        try (PartitionableCluster cluster = new PartitionableCluster(2, PassThroughMergePolicy.class.getName())) {
            List<HazelcastInstance> members = cluster.start();
            IMap<String, Long> meta = ReplicaMaps.meta(members.get(0));
            ReplicaWriter.of(members.get(0)).publishCaughtUp(Instant.now());
            // The edge is the member that does not own the published size: reading it is a call to the other.
            HazelcastInstance owner = members.stream()
                    .filter(member -> member.getCluster().getLocalMember().equals(members.get(0)
                            .getPartitionService().getPartition(ReplicaMaps.PUBLISHED_SIZE).getOwner()))
                    .findFirst().orElseThrow();
            HazelcastInstance edge = owner == members.get(0) ? members.get(1) : members.get(0);
            assertThat(meta.get(ReplicaMaps.PUBLISHED_SIZE)).isNotNull();
            HazelcastKeyReplica replica = HazelcastKeyReplica.of(edge);

            cluster.cutSilently(edge, owner);
            CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(replica::isReady);

            assertThat(ready.get(2, TimeUnit.SECONDS)).as("not ready: the read gave up after 100 ms").isFalse();
            cluster.heal();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!replica.isReady() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(replica.isReady()).as("ready once the owner answers again").isTrue();
        }
    }
}
