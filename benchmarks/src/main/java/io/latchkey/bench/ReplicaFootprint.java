package io.latchkey.bench;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Replica memory per edge and cold-join time to ready: a writer member in this JVM holds {@code N} keys; an edge
 * member ({@link EdgeMember}) starts in a JVM of its own, joins, and reports when its replica is ready and how much
 * heap the replica takes after a full GC.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.latchkey.bench.ReplicaFootprint 1000000</pre>
 */
public final class ReplicaFootprint {

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        ReplicaCluster cluster = new ReplicaCluster("footprint-" + UUID.randomUUID(), "127.0.0.1", 26701,
                List.of("127.0.0.1:26701", "127.0.0.1:26702"));
        HazelcastInstance writerMember = Replicas.member(cluster, "writer");
        ReplicaWriter writer = ReplicaWriter.of(writerMember);
        long loadStart = System.nanoTime();
        Replicas.load(writer, Replicas.keys(count), KeyHasher.sha256());
        writer.publishCaughtUp(Instant.now());
        System.out.printf("keys=%d load_ms=%d%n", count, (System.nanoTime() - loadStart) / 1_000_000);

        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "-cp", System.getProperty("java.class.path"), EdgeMember.class.getName(),
                cluster.clusterName(), "26702", String.join(",", cluster.members())));
        Process edge = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(edge.getInputStream()))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("edge ")) {
                    System.out.println(line + " rss_mb=" + rssMb(edge.pid()));
                }
            }
        }
        edge.waitFor();
        writerMember.shutdown();
    }

    private static long rssMb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (Exception processGone) {
            return -1;
        }
        return -1;
    }
}
