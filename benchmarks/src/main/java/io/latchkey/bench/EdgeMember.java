package io.latchkey.bench;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.validator.hazelcast.HazelcastKeyReplica;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import java.lang.management.ManagementFactory;
import java.util.List;

/** The edge side of {@link ReplicaFootprint}: joins, waits until ready, reports timing and heap, then stays a while. */
public final class EdgeMember {

    public static void main(String[] args) throws Exception {
        long before = usedHeapAfterGc();
        long start = System.nanoTime();
        HazelcastInstance member = Hazelcast.newHazelcastInstance(
                new ReplicaCluster(args[0], "127.0.0.1", Integer.parseInt(args[1]), List.of(args[2].split(",")))
                        .memberConfig("edge"));
        long joined = System.nanoTime();
        HazelcastKeyReplica replica = HazelcastKeyReplica.of(member);
        while (!replica.isReady()) {
            Thread.sleep(10);
        }
        long ready = System.nanoTime();
        long after = usedHeapAfterGc();
        System.out.printf("edge entries=%d join_ms=%d ready_ms=%d replica_heap_mb=%d bytes_per_entry=%d%n",
                replica.size(), (joined - start) / 1_000_000, (ready - start) / 1_000_000,
                (after - before) / (1024 * 1024), (after - before) / Math.max(1, replica.size()));
        System.out.flush();
        Thread.sleep(500);
        member.shutdown();
    }

    /** The heap in use after full collections, with time between them for what they free to be counted. */
    public static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
