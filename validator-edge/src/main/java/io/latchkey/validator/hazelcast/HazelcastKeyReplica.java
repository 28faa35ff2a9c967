package io.latchkey.validator.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.validator.KeyReplica;

/**
 * Reads this member's local copy of the replicated map. Ready once a writer has published that it caught up with the
 * event log and this member holds at least as many entries as that writer did: entries are never removed, so a copy
 * that large is complete up to that point.
 */
public final class HazelcastKeyReplica implements KeyReplica {

    private final ReplicatedMap<String, byte[]> entries;
    private final IMap<String, Long> meta;
    private volatile boolean ready;

    private HazelcastKeyReplica(HazelcastInstance hazelcast) {
        this.entries = ReplicaMaps.activeKeys(hazelcast);
        this.meta = ReplicaMaps.meta(hazelcast);
    }

    public static HazelcastKeyReplica of(HazelcastInstance hazelcast) {
        return new HazelcastKeyReplica(hazelcast);
    }

    @Override
    public ActiveKeyEntry lookup(KeyHash hash) {
        return ReplicaMaps.read(entries, hash);
    }

    @Override
    public boolean isReady() {
        if (!ready) {
            ready = ReplicaMaps.localCopyComplete(entries, meta, false);
        }
        return ready;
    }

    @Override
    public int size() {
        return entries.size();
    }
}
