package io.latchkey.validator.hazelcast;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Real Hazelcast members on 127.0.0.1, in a cluster of their own so parallel runs never meet. */
public final class TestCluster implements AutoCloseable {

    private final ReplicaCluster settings;
    private final List<HazelcastInstance> members = new ArrayList<>();

    public TestCluster() {
        int port = freePortBlock();
        this.settings = new ReplicaCluster("test-" + UUID.randomUUID(), "127.0.0.1", port,
                List.of("127.0.0.1:" + port, "127.0.0.1:" + (port + 1), "127.0.0.1:" + (port + 2)));
    }

    public ReplicaCluster settings() {
        return settings;
    }

    public HazelcastInstance startMember() {
        HazelcastInstance member = Hazelcast.newHazelcastInstance(settings.memberConfig("member-" + members.size()));
        members.add(member);
        return member;
    }

    @Override
    public void close() {
        members.forEach(HazelcastInstance::shutdown);
    }

    private static int freePortBlock() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 20_000 + (int) (Math.random() * 30_000);
            if (free(base) && free(base + 1) && free(base + 2)) {
                return base;
            }
        }
        throw new IllegalStateException("no free port block");
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

}
