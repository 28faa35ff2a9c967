package io.latchkey.validator.hazelcast;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.EndpointQualifier;
import com.hazelcast.instance.FirewallingNodeContext;
import com.hazelcast.instance.impl.HazelcastInstanceFactory;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.internal.server.FirewallingServer.FirewallingServerConnectionManager;
import com.hazelcast.spi.properties.ClusterProperty;
import io.latchkey.testing.LoopbackPorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Real members of one cluster over real TCP on 127.0.0.1 whose links can be cut and restored, so a running cluster
 * splits in two and heals as it would on a network partition. It uses Hazelcast's own firewalling network layer from
 * its test jar: blocked links refuse new connections and open ones are closed, then each side suspects the other, as
 * failed heartbeats would make it do (only sooner). Merges are looked for every second.
 */
final class PartitionableCluster implements AutoCloseable {

    private static final Duration FORMING = Duration.ofSeconds(60);

    private final String clusterName = "partition-" + UUID.randomUUID();
    private final String mergePolicy;
    private final List<String> addresses = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final List<HazelcastInstance> members = new ArrayList<>();
    private final List<HazelcastInstance[]> cutLinks = new ArrayList<>();

    /** {@code size} members whose replicated map of active keys merges by {@code mergePolicy} (a class name). */
    PartitionableCluster(int size, String mergePolicy) {
        this.mergePolicy = mergePolicy;
        for (int i = 0; i < size; i++) {
            int port = LoopbackPorts.free();
            ports.add(port);
            addresses.add("127.0.0.1:" + port);
        }
    }

    /** Starts every member and waits until they form one cluster. */
    List<HazelcastInstance> start() {
        for (int i = 0; i < ports.size(); i++) {
            Config config = new ReplicaCluster(clusterName, "127.0.0.1", ports.get(i), addresses)
                    .memberConfig(clusterName + "-" + i);
            config.getNetworkConfig().setPortAutoIncrement(false);
            config.setProperty(ClusterProperty.MERGE_FIRST_RUN_DELAY_SECONDS.getName(), "1");
            config.setProperty(ClusterProperty.MERGE_NEXT_RUN_DELAY_SECONDS.getName(), "1");
            config.getReplicatedMapConfig(ReplicaMaps.ACTIVE_KEYS).getMergePolicyConfig().setPolicy(mergePolicy);
            members.add(HazelcastInstanceFactory.newHazelcastInstance(config, config.getInstanceName(),
                    new FirewallingNodeContext()));
        }
        awaitSides(List.copyOf(members));
        return List.copyOf(members);
    }

    /** Cuts every link between the two sides and waits until each side is a cluster of its own. */
    void split(List<HazelcastInstance> one, List<HazelcastInstance> other) {
        for (HazelcastInstance a : one) {
            for (HazelcastInstance b : other) {
                cut(a, b);
                cut(b, a);
                cutLinks.add(new HazelcastInstance[] {a, b});
            }
        }
        for (HazelcastInstance[] link : cutLinks) {
            suspect(link[0], link[1]);
            suspect(link[1], link[0]);
        }
        awaitSides(one, other);
    }

    /**
     * Cuts the link between two members without telling either: each still counts the other a member until its
     * heartbeats time out, so calls between them wait rather than fail.
     */
    void cutSilently(HazelcastInstance a, HazelcastInstance b) {
        cut(a, b);
        cut(b, a);
        cutLinks.add(new HazelcastInstance[] {a, b});
    }

    /** Restores every cut link and waits until all members form one cluster again. */
    void heal() {
        for (HazelcastInstance[] link : cutLinks) {
            restore(link[0], link[1]);
            restore(link[1], link[0]);
        }
        cutLinks.clear();
        awaitSides(List.copyOf(members));
    }

    @Override
    public void close() {
        members.forEach(HazelcastInstance::shutdown);
    }

    private static void cut(HazelcastInstance from, HazelcastInstance to) {
        FirewallingServerConnectionManager connections = connections(from);
        Address address = node(to).getThisAddress();
        connections.blockNewConnection(address);
        connections.closeActiveConnection(address);
    }

    private static void restore(HazelcastInstance from, HazelcastInstance to) {
        connections(from).unblock(node(to).getThisAddress());
        // A member that refused a join during the split keeps the other out until it forgets it.
        node(from).getJoiner().unblacklist(node(to).getThisAddress());
    }

    private static void suspect(HazelcastInstance suspecting, HazelcastInstance suspected) {
        Member member = node(suspecting).getClusterService().getMember(node(suspected).getThisAddress());
        if (member != null) {
            node(suspecting).getClusterService().suspectMember(member, "partitioned by the test", true);
        }
    }

    /** Waits until every member of each side sees exactly that side as its cluster. */
    @SafeVarargs
    private static void awaitSides(List<HazelcastInstance>... sides) {
        long deadline = System.nanoTime() + FORMING.toNanos();
        while (!formed(sides)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("cluster did not take the expected shape within " + FORMING);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    @SafeVarargs
    private static boolean formed(List<HazelcastInstance>... sides) {
        for (List<HazelcastInstance> side : sides) {
            List<Member> expected = side.stream().map(m -> m.getCluster().getLocalMember()).toList();
            for (HazelcastInstance member : side) {
                var seen = member.getCluster().getMembers();
                if (seen.size() != side.size() || !seen.containsAll(expected)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static Node node(HazelcastInstance member) {
        return ((HazelcastInstanceProxy) member).getOriginal().node;
    }

    private static FirewallingServerConnectionManager connections(HazelcastInstance member) {
        return (FirewallingServerConnectionManager) node(member).getServer()
                .getConnectionManager(EndpointQualifier.MEMBER);
    }
}
