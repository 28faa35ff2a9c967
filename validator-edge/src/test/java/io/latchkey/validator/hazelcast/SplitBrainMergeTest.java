package io.latchkey.validator.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.testing.LoopbackPorts;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A real split brain: two members form one cluster while a third, started alone under the same cluster name, forms
 * another; both sides take writes; then Hazelcast finds the two clusters and merges the smaller into the larger. With
 * Hazelcast's default policy the larger side's entries would win and revocations made on the smaller side would be
 * undone.
 */
class SplitBrainMergeTest {

    private static final int KEYS_PER_CASE = 20;
    private final List<HazelcastInstance> members = new ArrayList<>();

    @AfterEach
    void stop() {
        members.forEach(HazelcastInstance::shutdown);
    }

    private HazelcastInstance start(String cluster, int port, List<String> knownMembers) {
        Config config = new ReplicaCluster(cluster, "127.0.0.1", port, knownMembers).memberConfig("m-" + port);
        config.getNetworkConfig().setPortAutoIncrement(false);
        // Look for the other side soon, but not before both sides have taken their writes.
        config.setProperty("hazelcast.merge.first.run.delay.seconds", "8");
        config.setProperty("hazelcast.merge.next.run.delay.seconds", "2");
        HazelcastInstance member = Hazelcast.newHazelcastInstance(config);
        members.add(member);
        return member;
    }

    /** Two members in one cluster, and a third alone under the same name: the two sides merge soon after. */
    private List<HazelcastInstance> split() {
        String cluster = "split-" + UUID.randomUUID();
        int a = LoopbackPorts.free();
        int b = LoopbackPorts.free();
        int c = LoopbackPorts.free();
        List<String> all = List.of("127.0.0.1:" + a, "127.0.0.1:" + b, "127.0.0.1:" + c);
        HazelcastInstance memberA = start(cluster, a, all);
        HazelcastInstance memberB = start(cluster, b, all);
        HazelcastInstance memberC = start(cluster, c, List.of("127.0.0.1:" + c));
        assertThat(memberA.getCluster().getMembers()).hasSize(2);
        assertThat(memberC.getCluster().getMembers()).hasSize(1);
        return List.of(memberA, memberB, memberC);
    }

    private static ActiveKeyEntry entry(KeyStatus status, long version, String scope) {
        return new ActiveKeyEntry("k", "d", List.of(scope), null, null, status, version, null);
    }

    @Test
    void revocationsMadeOnEitherSideSurviveTheMergeAndTheHigherVersionWins() throws Exception {
        List<HazelcastInstance> split = split();
        HazelcastInstance memberA = split.get(0);
        HazelcastInstance memberB = split.get(1);
        HazelcastInstance memberC = split.get(2);

        ReplicaWriter majority = ReplicaWriter.of(memberA);
        ReplicaWriter minority = ReplicaWriter.of(memberC);
        List<KeyHash> revokedOnMinority = new ArrayList<>();
        List<KeyHash> revokedOnMajority = new ArrayList<>();
        List<KeyHash> newerOnMinority = new ArrayList<>();
        KeyFormat format = KeyFormat.forEnvironment("test");
        for (int i = 0; i < KEYS_PER_CASE; i++) {
            KeyHash one = KeyHasher.sha256().hash(format.generate());
            majority.write(one, entry(KeyStatus.ACTIVE, 0, "read"));
            minority.write(one, entry(KeyStatus.REVOKED, 1, "read"));
            revokedOnMinority.add(one);

            KeyHash two = KeyHasher.sha256().hash(format.generate());
            majority.write(two, entry(KeyStatus.REVOKED, 1, "read"));
            minority.write(two, entry(KeyStatus.ACTIVE, 5, "admin"));
            revokedOnMajority.add(two);

            KeyHash three = KeyHasher.sha256().hash(format.generate());
            majority.write(three, entry(KeyStatus.ACTIVE, 1, "read"));
            minority.write(three, entry(KeyStatus.ACTIVE, 3, "admin"));
            newerOnMinority.add(three);
        }

        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (memberC.getCluster().getMembers().size() != 3 || memberA.getCluster().getMembers().size() != 3) {
            assertThat(System.nanoTime()).as("the two sides merging").isLessThan(deadline);
            Thread.sleep(100);
        }

        int resurrections = 0;
        for (HazelcastInstance member : List.of(memberA, memberB, memberC)) {
            HazelcastKeyReplica replica = HazelcastKeyReplica.of(member);
            for (KeyHash hash : revokedOnMinority) {
                resurrections += awaitStatus(replica, hash, KeyStatus.REVOKED) ? 0 : 1;
            }
            for (KeyHash hash : revokedOnMajority) {
                resurrections += awaitStatus(replica, hash, KeyStatus.REVOKED) ? 0 : 1;
            }
            for (KeyHash hash : newerOnMinority) {
                assertThat(awaitVersion(replica, hash, 3)).as("higher version kept on " + member.getName()).isTrue();
            }
        }
        assertThat(resurrections).as("revoked keys alive again after the merge").isZero();
    }

    @Test
    void aMemberWhoseCopyIsMergedIsNotReadyUntilItHasFilledAgain() throws Exception {
        List<HazelcastInstance> split = split();
        HazelcastInstance memberA = split.get(0);
        HazelcastInstance memberC = split.get(2);
        HazelcastKeyReplica minorityReplica = HazelcastKeyReplica.of(memberC);
        ReplicaWriter majority = ReplicaWriter.of(memberA);
        ReplicaWriter minority = ReplicaWriter.of(memberC);
        KeyFormat format = KeyFormat.forEnvironment("test");
        for (int i = 0; i < 2_000; i++) {
            majority.write(KeyHasher.sha256().hash(format.generate()), entry(KeyStatus.ACTIVE, 0, "read"));
        }
        minority.write(KeyHasher.sha256().hash(format.generate()), entry(KeyStatus.ACTIVE, 0, "read"));
        majority.publishCaughtUp(Instant.now());
        minority.publishCaughtUp(Instant.now());
        // The published size is read in the background: the first answers may come before it has been.
        long readyBy = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!minorityReplica.isReady() && System.nanoTime() < readyBy) {
            Thread.sleep(10);
        }
        assertThat(minorityReplica.isReady()).as("complete on its own side").isTrue();

        boolean sawNotReady = false;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (memberC.getCluster().getMembers().size() != 3 || memberA.getCluster().getMembers().size() != 3) {
            assertThat(System.nanoTime()).as("the two sides merging").isLessThan(deadline);
            sawNotReady |= !minorityReplica.isReady();
            Thread.sleep(1);
        }
        long refilled = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!minorityReplica.isReady()) {
            sawNotReady = true;
            assertThat(System.nanoTime()).as("filled again").isLessThan(refilled);
            Thread.sleep(10);
        }

        assertThat(sawNotReady).as("not ready while its copy was emptied and refilled").isTrue();
        assertThat(minorityReplica.size()).isGreaterThanOrEqualTo(2_000);
    }

    private static boolean awaitStatus(HazelcastKeyReplica replica, KeyHash hash, KeyStatus status)
            throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            ActiveKeyEntry entry = replica.lookup(hash);
            if (entry != null && entry.status() == status) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    private static boolean awaitVersion(HazelcastKeyReplica replica, KeyHash hash, long version)
            throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            ActiveKeyEntry entry = replica.lookup(hash);
            if (entry != null && entry.version() == version) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }
}
