package io.latchkey.support.hazelcast;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Real Hazelcast members on 127.0.0.1, in a cluster of their own so parallel runs never meet. */
public final class LoopbackMembers {

    private LoopbackMembers() {
    }

    /**
     * One member per role, in that order, each on a free port and told of all the others' ports, in a cluster named
     * {@code prefix} and a random id. Each has joined the ones started before it when it is returned.
     */
    public static List<HazelcastInstance> start(String prefix, String... roles) {
        List<Integer> ports = new ArrayList<>();
        List<String> addresses = new ArrayList<>();
        for (String ignored : roles) {
            int port = LoopbackPorts.free();
            ports.add(port);
            addresses.add("127.0.0.1:" + port);
        }
        String clusterName = prefix + "-" + UUID.randomUUID();
        List<HazelcastInstance> members = new ArrayList<>();
        for (int i = 0; i < roles.length; i++) {
            members.add(Hazelcast.newHazelcastInstance(
                    new ReplicaCluster(clusterName, "127.0.0.1", ports.get(i), addresses).memberConfig(roles[i])));
        }
        return members;
    }
}
