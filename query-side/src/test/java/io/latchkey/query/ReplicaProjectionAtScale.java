package io.latchkey.query;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.RateLimit;
import io.latchkey.support.store.EmbeddedMongoServer;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import io.latchkey.validator.hazelcast.ReplicaMaps;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.bson.Document;
import org.springframework.data.mongodb.core.MongoTemplate;

/**
 * A load run, not a test: what the query side's replica projection holds per key at scale, and what its snapshot
 * costs there. One Hazelcast member (the query side's, which holds a full copy of the map) folds {@code keys}
 * creations of keys of {@code developers} developers through the projection's handler, each event's strings made
 * afresh as a decoded event's are, while the snapshot saves them every 5 s as it does in a query side, into an
 * embedded store served by a process of its own over TCP; the run saves what is left; then a new member in a cold
 * cluster loads the snapshot and restores the map from it, as a query-side start does. Prints this process's heap
 * after full collections at each step and the time of each step. Usage:
 * {@code ReplicaProjectionAtScale [keys] [developers]}; run with a heap that holds the keys (e.g. {@code -Xmx3g}).
 */
public final class ReplicaProjectionAtScale {

    private static final Instant NOW = Instant.parse("2026-12-05T00:00:00Z");

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("serve")) {
            serve(Path.of(args[1]), Integer.parseInt(args[2]));
            return;
        }
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int developers = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        Path dir = Files.createTempDirectory("replica-at-scale");
        int storePort = LoopbackPorts.free();
        // The store in a process of its own, as the command side serves it: its memory is not the query side's.
        Process store = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ReplicaProjectionAtScale.class.getName(), "serve",
                dir.toString(), String.valueOf(storePort)).inheritIO().start();
        try (MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + storePort)) {
            client.getDatabase("latchkey").runCommand(new Document("ping", 1));
            MongoTemplate mongo = new MongoTemplate(client, "latchkey");
            long empty = heap();
            HazelcastInstance writer = member();
            long withMember = heap();

            ReplicaSnapshot snapshot = new ReplicaSnapshot(mongo);
            ActiveKeyReplicaProjection projection = new ActiveKeyReplicaProjection(writer, snapshot);
            long started = System.nanoTime();
            fold(projection, keys, developers);
            long foldMillis = millisSince(started);
            snapshot.tokenStore().initializeTokenSegments(ActiveKeyReplicaProjection.GROUP, 1,
                    new GlobalSequenceTrackingToken(keys));
            long folded = heap();
            started = System.nanoTime();
            snapshot.save();
            long saveMillis = millisSince(started);
            long saved = heap();
            report("fold of %,d creations: %,d ms; heap %s with the member, %s after the fold (map copy and states "
                    + "with the snapshot's changes), %s after the save", keys, foldMillis, mib(withMember - empty),
                    perKey(folded - withMember, keys), perKey(saved - withMember, keys));
            report("last save (what the saver had not saved during the fold) of %,d states: %,d ms", keys, saveMillis);
            snapshot.close();
            writer.shutdown();

            HazelcastInstance cold = member();
            long coldMember = heap();
            started = System.nanoTime();
            ReplicaSnapshot loaded = new ReplicaSnapshot(mongo);
            long loadMillis = millisSince(started);
            started = System.nanoTime();
            ActiveKeyReplicaProjection restored = new ActiveKeyReplicaProjection(cold, loaded);
            long restoreMillis = millisSince(started);
            long entries = cold.getReplicatedMap(ReplicaMaps.ACTIVE_KEYS).size();
            long afterRestore = heap();
            report("start from the snapshot: load %,d ms, restore of %,d entries %,d ms; heap %s", loadMillis,
                    entries, restoreMillis, perKey(afterRestore - coldMember, keys));
            if (entries != keys || restored.rewriteAll() != 0) {
                throw new IllegalStateException("restored " + entries + " entries of " + keys);
            }
            loaded.close();
            // Unreachable from here on, so that the next reading holds the member's copy of the map alone.
            restored = null;
            loaded = null;
            long mapOnly = heap();
            cold.shutdown();
            long none = heap();
            report("the projection's states %s; the member's copy of the map %s", perKey(afterRestore - mapOnly, keys),
                    perKey(mapOnly - none, keys));
        } finally {
            // Members a failed step left running would keep this process alive.
            Hazelcast.shutdownAll();
            store.destroy();
            store.waitFor();
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    /** Serves the embedded store in {@code dir} until the process that started this one ends. */
    private static void serve(Path dir, int port) {
        EmbeddedMongoServer.start(dir, "127.0.0.1", port, "latchkey");
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().join());
        System.exit(0);
    }

    private static void fold(ActiveKeyReplicaProjection projection, int keys, int developers) {
        Random random = new Random(7);
        String[] developerIds = new String[developers];
        for (int i = 0; i < developers; i++) {
            developerIds[i] = new UUID(random.nextLong(), random.nextLong()).toString();
        }
        byte[] hash = new byte[32];
        for (int i = 0; i < keys; i++) {
            random.nextBytes(hash);
            List<String> scopes = i % 2 == 0 ? List.of(fresh("read")) : List.of(fresh("read"), fresh("write"));
            projection.on(new ApiKeyCreatedEvent(new UUID(random.nextLong(), random.nextLong()).toString(),
                    fresh(developerIds[i % developers]), "key " + i, HexFormat.of().formatHex(hash), "lk_live_…abcd",
                    scopes, NOW, i % 2 == 0 ? NOW.plusSeconds(86_400L * 90) : null,
                    i % 5 == 0 ? new RateLimit(100, 60, null) : null), 0);
        }
    }

    /** A string as a deserialized event holds it: its own instance. */
    private static String fresh(String text) {
        return new String(text.toCharArray());
    }

    private static HazelcastInstance member() {
        int port = LoopbackPorts.free();
        return Hazelcast.newHazelcastInstance(new ReplicaCluster("at-scale-" + UUID.randomUUID(), "127.0.0.1", port,
                List.of("127.0.0.1:" + port)).memberConfig("at-scale-" + UUID.randomUUID()));
    }

    private static long heap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(300);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long millisSince(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }

    private static String perKey(long bytes, int keys) {
        return String.format("%s (%.0f B a key)", mib(bytes), bytes / (double) keys);
    }

    private static void report(String format, Object... args) {
        System.out.printf(format + "%n", args);
    }
}
