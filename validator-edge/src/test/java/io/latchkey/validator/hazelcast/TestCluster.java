package io.latchkey.validator.hazelcast;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.testing.LoopbackPorts;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.springframework.test.context.DynamicPropertyRegistry;

/** Real Hazelcast members on 127.0.0.1, in a cluster of their own so parallel runs never meet. */
public final class TestCluster implements AutoCloseable {

    private final ReplicaCluster settings;
    private final List<HazelcastInstance> members = new ArrayList<>();
    private final ScheduledExecutorService confirmations = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "test-writer-confirmations");
        thread.setDaemon(true);
        return thread;
    });
    private volatile ScheduledFuture<?> confirming;

    public TestCluster() {
        int port = LoopbackPorts.freeBlock(3);
        this.settings = new ReplicaCluster("test-" + UUID.randomUUID(), "127.0.0.1", port,
                List.of("127.0.0.1:" + port, "127.0.0.1:" + (port + 1), "127.0.0.1:" + (port + 2)));
    }

    public ReplicaCluster settings() {
        return settings;
    }

    /** Makes the Spring application under test a member of this cluster (one port above the first member). */
    public void joinFromSpring(DynamicPropertyRegistry registry) {
        registry.add("latchkey.hazelcast.cluster-name", settings::clusterName);
        registry.add("latchkey.hazelcast.port", () -> settings.port() + 1);
        registry.add("latchkey.hazelcast.members", () -> String.join(",", settings.members()));
    }

    /**
     * Writes {@code entry} for {@code key} through {@code writer} and waits until {@code reader}'s own copy holds it:
     * replication is asynchronous, and a request served before that would find nothing.
     */
    public static void writeAndAwait(ReplicaWriter writer, HazelcastInstance reader, String key, ActiveKeyEntry entry)
            throws InterruptedException {
        KeyHash hash = KeyHasher.sha256().hash(key);
        writer.write(hash, entry);
        HazelcastKeyReplica replica = HazelcastKeyReplica.of(reader);
        for (int i = 0; i < 500 && replica.lookup(hash) == null; i++) {
            Thread.sleep(10);
        }
        if (replica.lookup(hash) == null) {
            throw new AssertionError("entry not replicated to " + reader.getName() + " within 5 s");
        }
    }

    public HazelcastInstance startMember() {
        HazelcastInstance member = Hazelcast.newHazelcastInstance(settings.memberConfig("member-" + members.size()));
        members.add(member);
        return member;
    }

    /**
     * Acts as a caught-up query side from now on: {@code writer} publishes every 200 ms, as
     * {@code ReplicaCatchUpPublisher} does, until {@link #stopConfirming()} or {@link #close()}.
     */
    public void keepCaughtUp(ReplicaWriter writer) {
        writer.publishCaughtUp(Instant.now());
        confirming = confirmations.scheduleWithFixedDelay(() -> writer.publishCaughtUp(Instant.now()),
                200, 200, TimeUnit.MILLISECONDS);
    }

    /** The writer falls silent, as a stalled or cut-off query side does. */
    public void stopConfirming() {
        confirming.cancel(false);
    }

    @Override
    public void close() {
        confirmations.shutdownNow();
        members.forEach(HazelcastInstance::shutdown);
    }
}
