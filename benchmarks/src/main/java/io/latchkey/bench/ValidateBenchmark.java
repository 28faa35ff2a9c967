package io.latchkey.bench;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.validator.Decision;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.hazelcast.HazelcastKeyReplica;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code validate()} on a real Hazelcast member's replica (format check, SHA-256, local lookup, entry decode, status,
 * expiry, scope) against the bare minimum any validator needs: SHA-256 and a lookup in a plain concurrent map, in
 * the same run. Keys are drawn at random so lookups miss the CPU caches as production traffic would.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar ValidateBenchmark -t 1 -rf json -rff validate-t1.json</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "-Dhazelcast.phone.home.enabled=false"})
public class ValidateBenchmark {

    @Param({"100000", "1000000"})
    int keys;

    private HazelcastInstance member;
    private KeyValidator validator;
    private String[] presented;
    private final KeyHasher hasher = KeyHasher.sha256();
    private final ConcurrentHashMap<KeyHash, byte[]> baseline = new ConcurrentHashMap<>();

    /** Each thread's own xorshift sequence: random draws without contention or allocation. */
    @State(Scope.Thread)
    public static class Cursor {
        private long state = System.nanoTime() | 1;

        public int next(int bound) {
            state ^= state << 13;
            state ^= state >>> 7;
            state ^= state << 17;
            return (int) ((state >>> 1) % bound);
        }
    }

    @Setup(Level.Trial)
    public void load() {
        presented = Replicas.keys(keys);
        ReplicaCluster cluster = new ReplicaCluster("bench-" + UUID.randomUUID(), "127.0.0.1", 25701,
                List.of("127.0.0.1:25701"));
        member = Replicas.member(cluster, "bench");
        Replicas.load(ReplicaWriter.of(member), presented, hasher);
        for (int i = 0; i < presented.length; i++) {
            baseline.put(hasher.hash(presented[i]), Replicas.entry(i).toBytes());
        }
        validator = KeyValidator.builder().replica(HazelcastKeyReplica.of(member)).hasher(hasher).build();
        if (!validator.validate(presented[0], "read").allowed()) {
            throw new IllegalStateException("replica not loaded");
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        member.shutdown();
    }

    @Benchmark
    public Decision validate(Cursor cursor) {
        return validator.validate(presented[cursor.next(keys)], "read");
    }

    @Benchmark
    public byte[] baselineHashAndLookup(Cursor cursor) {
        return baseline.get(hasher.hash(presented[cursor.next(keys)]));
    }

    /**
     * Drawing the presented key alone: one of a million strings, which is not in the cache, where a gateway's request
     * brings its key in a buffer that is. Both benchmarks above pay it; subtracted, about what the edge pays.
     */
    @Benchmark
    public char presentOnly(Cursor cursor) {
        String key = presented[cursor.next(keys)];
        return key.charAt(key.length() - 1);
    }
}
