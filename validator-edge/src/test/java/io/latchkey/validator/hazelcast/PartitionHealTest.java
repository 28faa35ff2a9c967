package io.latchkey.validator.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent.LifecycleState;
import com.hazelcast.spi.merge.PutIfAbsentMergePolicy;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.validator.Decision;
import io.latchkey.validator.KeyValidator;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * A running cluster of a writer and four edges is cut in two; the key is revoked on the side with the writer but
 * without the majority; the partition heals and Hazelcast merges that side into the majority. Every member must then
 * refuse the key, and no member that refused it may admit it again while the merge runs. The same rounds with
 * Hazelcast's default merge policy for replicated maps bring the key back, so this test can fail.
 */
class PartitionHealTest {

    private static final int ROUNDS = 20;
    private static final Duration SETTLING = Duration.ofSeconds(60);
    private static final KeyFormat FORMAT = KeyFormat.forEnvironment("test");

    @Test
    void revokedKeyIsRefusedByEveryMemberAfterEachOfTwentyPartitions() throws Exception {
        try (PartitionableCluster cluster = new PartitionableCluster(5, ActiveKeyMergePolicy.class.getName())) {
            int resurrections = run(cluster, ROUNDS);

            assertThat(resurrections).as("members admitting a revoked key after %d partitions", ROUNDS).isZero();
        }
    }

    @Test
    void hazelcastsDefaultMergePolicyWouldHaveBroughtTheKeyBack() throws Exception {
        try (PartitionableCluster cluster = new PartitionableCluster(3, PutIfAbsentMergePolicy.class.getName())) {
            int resurrections = run(cluster, 1);

            assertThat(resurrections).as("the majority's ACTIVE entry kept by the default policy").isPositive();
        }
    }

    /**
     * The writer, cut off on the smaller side, confirms how far it got while its entries cannot reach the larger side.
     * Once the sides merge, that confirmation must not reach the larger side's members, or they would count themselves
     * current before the entries it vouches for (a revocation made while cut off) have reached them.
     */
    @Test
    void theLargerSideKeepsItsOwnConfirmationsThroughAMergeAndWaitsForTheWritersNext() throws Exception {
        try (PartitionableCluster cluster = new PartitionableCluster(3, ActiveKeyMergePolicy.class.getName())) {
            List<HazelcastInstance> members = cluster.start();
            HazelcastKeyReplica larger = HazelcastKeyReplica.of(members.get(2));
            ReplicaWriter writer = ReplicaWriter.of(members.get(0));
            Instant beforeSplit = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.MILLIS);
            writer.publishCaughtUp(beforeSplit);
            await("the larger side holds the first confirmation", () -> beforeSplit.equals(larger.asOf()));

            cluster.split(List.of(members.get(0)), members.subList(1, 3));
            Instant cutOff = beforeSplit.plusSeconds(30);
            writer.publishCaughtUp(cutOff);
            CountDownLatch merged = new CountDownLatch(1);
            members.get(0).getLifecycleService().addLifecycleListener(event -> {
                if (event.getState() == LifecycleState.MERGED) {
                    merged.countDown();
                }
            });
            cluster.heal();
            assertThat(merged.await(SETTLING.toSeconds(), TimeUnit.SECONDS)).as("the writer's side merged").isTrue();
            Thread.sleep(1_000);
            assertThat(larger.asOf()).as("the larger side's confirmation after the merge").isEqualTo(beforeSplit);

            Instant confirmedAgain = cutOff.plusSeconds(1);
            writer.publishCaughtUp(confirmedAgain);
            await("the writer's next confirmation reaches the larger side", () -> confirmedAgain.equals(larger.asOf()));
        }
    }

    /** Member 0 writes, as a query side does; every member validates. Returns the resurrections counted. */
    private static int run(PartitionableCluster cluster, int rounds) throws Exception {
        List<HazelcastInstance> members = cluster.start();
        // Replicas first: a member holds its tombstones through a merge only if its replica existed before the split.
        List<KeyValidator> validators = members.stream()
                .map(member -> KeyValidator.builder().replica(HazelcastKeyReplica.of(member)).build())
                .toList();
        ReplicaWriter writer = ReplicaWriter.of(members.get(0));
        int resurrections = 0;
        long started = System.nanoTime();
        for (int round = 0; round < rounds; round++) {
            resurrections += round(cluster, members, validators, writer, round);
        }
        System.out.printf("partition-heal: %d rounds over %d members in %d ms, %d resurrections%n", rounds,
                members.size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), resurrections);
        return resurrections;
    }

    private static int round(PartitionableCluster cluster, List<HazelcastInstance> members,
                             List<KeyValidator> validators, ReplicaWriter writer, int round) throws Exception {
        String key = FORMAT.generate();
        KeyHash hash = KeyHasher.sha256().hash(key);
        ActiveKeyEntry active = new ActiveKeyEntry("key-" + UUID.randomUUID(), "dev", List.of("read"), null, null,
                KeyStatus.ACTIVE, 0, null);
        writer.write(hash, active);
        await("every member admits the new key", () -> validators.stream().allMatch(v -> admits(v, key)));

        // The writer and the fewest edges that keep its side smaller (different edges each round): that side merges.
        int edges = members.size() - 1;
        List<Integer> minority = new ArrayList<>(List.of(0));
        int companions = (members.size() - 1) / 2 - 1;
        for (int n = 0; n < companions; n++) {
            minority.add(1 + (round + n) % edges);
        }
        List<Integer> majority = new ArrayList<>();
        for (int i = 1; i < members.size(); i++) {
            if (!minority.contains(i)) {
                majority.add(i);
            }
        }
        cluster.split(pick(members, minority), pick(members, majority));

        writer.write(hash, active.withState(active.scopes(), null, KeyStatus.REVOKED, 1, null));
        await("the writer's side refuses the revoked key",
                () -> minority.stream().noneMatch(i -> admits(validators.get(i), key)));

        CountDownLatch merged = new CountDownLatch(minority.size());
        List<UUID> listeners = new ArrayList<>();
        for (int i : minority) {
            listeners.add(members.get(i).getLifecycleService().addLifecycleListener(event -> {
                if (event.getState() == LifecycleState.MERGED) {
                    merged.countDown();
                }
            }));
        }
        // Members that refused the key are watched throughout the merge: admitting it even once is a resurrection.
        AtomicInteger readmitted = new AtomicInteger();
        AtomicBoolean watching = new AtomicBoolean(true);
        Thread watcher = new Thread(() -> {
            while (watching.get()) {
                for (int i : minority) {
                    if (admits(validators.get(i), key)) {
                        readmitted.incrementAndGet();
                    }
                }
                LockSupport.parkNanos(200_000);
            }
        }, "resurrection-watcher");
        watcher.start();
        try {
            cluster.heal();
            assertThat(merged.await(SETTLING.toSeconds(), TimeUnit.SECONDS)).as("the minority merged").isTrue();
            await("every member's copy agrees", () -> agreed(members, hash));
        } finally {
            watching.set(false);
            watcher.join();
            for (int n = 0; n < listeners.size(); n++) {
                members.get(minority.get(n)).getLifecycleService().removeLifecycleListener(listeners.get(n));
            }
        }

        int admitting = (int) validators.stream().filter(v -> admits(v, key)).count();
        return admitting + (readmitted.get() > 0 ? 1 : 0);
    }

    private static boolean admits(KeyValidator validator, String key) {
        return validator.validate(key, "read").status() == Decision.Status.VALID;
    }

    /** True once every member's own copy holds the same, non-null entry: the merge has reached everyone. */
    private static boolean agreed(List<HazelcastInstance> members, KeyHash hash) {
        byte[] first = ReplicaMaps.activeKeys(members.get(0)).get(hash);
        return first != null && members.stream()
                .allMatch(member -> Arrays.equals(first, ReplicaMaps.activeKeys(member).get(hash)));
    }

    private static List<HazelcastInstance> pick(List<HazelcastInstance> members, List<Integer> indexes) {
        return indexes.stream().map(members::get).toList();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLING.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(5);
        }
    }
}
