package io.latchkey.bench;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Builds realistic replicas: real keys, real hashes, entries shaped like production ones. */
final class Replicas {

    private Replicas() {
    }

    static String[] keys(int count) {
        KeyFormat format = KeyFormat.forEnvironment("live");
        String[] keys = new String[count];
        for (int i = 0; i < count; i++) {
            keys[i] = format.generate();
        }
        return keys;
    }

    static ActiveKeyEntry entry(int i) {
        return new ActiveKeyEntry(UUID.randomUUID().toString(), UUID.randomUUID().toString(),
                i % 3 == 0 ? List.of("orders:write", "read") : List.of("read"),
                i % 2 == 0 ? null : java.time.Instant.parse("2030-01-01T00:00:00Z"), null, KeyStatus.ACTIVE, i % 7,
                i % 5 == 0 ? new RateLimit(100, 60, null) : null);
    }

    static HazelcastInstance member(ReplicaCluster cluster, String name) {
        Config config = cluster.memberConfig(name);
        return Hazelcast.newHazelcastInstance(config);
    }

    /** Loads one entry per key in batches, as a rebuild would. */
    static void load(ReplicaWriter writer, String[] keys, KeyHasher hasher) {
        Map<KeyHash, ActiveKeyEntry> batch = new HashMap<>();
        for (int i = 0; i < keys.length; i++) {
            batch.put(hasher.hash(keys[i]), entry(i));
            if (batch.size() == 10_000 || i == keys.length - 1) {
                writer.writeAll(batch);
                batch.clear();
            }
        }
    }
}
