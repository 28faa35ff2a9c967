package io.latchkey.validator.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks every member of the replica cluster what its own copy holds for a key's hashes, and how current that copy
 * is: the facts behind propagation receipts. Each member answers from local memory, so the answer is what that
 * member's validator would use, not what a writer hopes it has.
 */
public final class ReplicaProbe {

    static final String EXECUTOR = "latchkey-replica-probe";

    /**
     * One member's answer.
     *
     * @param memberId      the member's cluster id
     * @param instance      the service instance name the member announced
     * @param address       host:port of its cluster endpoint
     * @param lowestVersion the lowest version held over the asked hashes; -1 when any of them is missing
     * @param asOf          the member's {@link HazelcastKeyReplica#asOf()}, null when unknown
     * @param error         why the member did not answer, or null
     */
    public record MemberState(String memberId, String instance, String address, long lowestVersion, Instant asOf,
                              String error) {

        public boolean holds(long version) {
            return error == null && lowestVersion >= version;
        }
    }

    private ReplicaProbe() {
    }

    /** Every current member's state for {@code hashes}; members that do not answer within {@code timeout} say so. */
    public static List<MemberState> probe(HazelcastInstance hazelcast, Collection<KeyHash> hashes, Duration timeout) {
        List<String> hexHashes = hashes.stream().map(KeyHash::hex).toList();
        Map<Member, Future<long[]>> futures = hazelcast.getExecutorService(EXECUTOR)
                .submitToMembers(new LocalLookup(hexHashes), hazelcast.getCluster().getMembers());
        long deadline = System.nanoTime() + timeout.toNanos();
        List<MemberState> states = new ArrayList<>(futures.size());
        futures.forEach((member, future) -> states.add(answer(member, future, deadline)));
        return states;
    }

    private static MemberState answer(Member member, Future<long[]> future, long deadline) {
        String instance = member.getAttribute(ReplicaCluster.INSTANCE_ATTRIBUTE);
        String address = member.getAddress().getHost() + ":" + member.getAddress().getPort();
        String id = member.getUuid().toString();
        try {
            long[] answer = future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return new MemberState(id, instance, address, answer[0], answer[1] < 0 ? null : Instant.ofEpochMilli(answer[1]), null);
        } catch (TimeoutException e) {
            future.cancel(true);
            return new MemberState(id, instance, address, -1, null, "no answer in time");
        } catch (ExecutionException e) {
            return new MemberState(id, instance, address, -1, null, "probe failed: " + e.getCause().getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new MemberState(id, instance, address, -1, null, "interrupted");
        }
    }

    /** Runs on each member: {lowest version held or -1, asOf millis or -1}. */
    static final class LocalLookup implements Callable<long[]>, Serializable, HazelcastInstanceAware {

        private static final long serialVersionUID = 1L;

        private final List<String> hexHashes;
        private transient HazelcastInstance hazelcast;

        LocalLookup(List<String> hexHashes) {
            this.hexHashes = List.copyOf(hexHashes);
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance hazelcast) {
            this.hazelcast = hazelcast;
        }

        @Override
        public long[] call() {
            HazelcastKeyReplica replica = HazelcastKeyReplica.of(hazelcast);
            long lowest = Long.MAX_VALUE;
            for (String hex : hexHashes) {
                ActiveKeyEntry entry = replica.lookup(new KeyHash(hex));
                lowest = Math.min(lowest, entry == null ? -1 : entry.version());
            }
            Instant asOf = replica.asOf();
            return new long[] {hexHashes.isEmpty() ? -1 : lowest, asOf == null ? -1 : asOf.toEpochMilli()};
        }
    }
}
