package io.latchkey.validator.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import java.util.HashMap;
import java.util.Map;

/**
 * The only way entries enter the replicated map. A write that would replace a newer entry or un-revoke a key is
 * dropped, so replays and redeliveries change nothing. The rule is checked against this member's own copy, so no
 * write happens before that copy is complete: on a warm cluster the first write waits until this member holds what
 * the writers last published (a writer restarting into a warm cluster would otherwise see no tombstones and put its
 * replay's first, ACTIVE entries over them).
 */
public final class ReplicaWriter {

    private final ReplicatedMap<String, byte[]> entries;
    private final IMap<String, Long> meta;
    private volatile boolean localCopyComplete;

    private ReplicaWriter(HazelcastInstance hazelcast) {
        this.entries = ReplicaMaps.activeKeys(hazelcast);
        this.meta = ReplicaMaps.meta(hazelcast);
    }

    public static ReplicaWriter of(HazelcastInstance hazelcast) {
        return new ReplicaWriter(hazelcast);
    }

    /** Writes {@code entry} for {@code hash} unless the map already holds an entry that wins over it. */
    public boolean write(KeyHash hash, ActiveKeyEntry entry) {
        awaitLocalCopy();
        ActiveKeyEntry existing = read(hash);
        // newer() keeps the first argument on a tie, so an equal redelivery is dropped too.
        if (existing != null && ActiveKeyEntry.newer(existing, entry) != entry) {
            return false;
        }
        entries.put(hash.hex(), entry.toBytes());
        return true;
    }

    /**
     * Writes many entries in one replication round, with the same rule as {@link #write}; for rebuilds and bulk
     * loads, where single puts would cost a round of replication each.
     */
    public int writeAll(Map<KeyHash, ActiveKeyEntry> batch) {
        awaitLocalCopy();
        Map<String, byte[]> winners = new HashMap<>(batch.size() * 2);
        batch.forEach((hash, entry) -> {
            ActiveKeyEntry existing = read(hash);
            if (existing == null || ActiveKeyEntry.newer(existing, entry) == entry) {
                winners.put(hash.hex(), entry.toBytes());
            }
        });
        entries.putAll(winners);
        return winners.size();
    }

    /** The entry currently in the map for {@code hash}, or null. */
    public ActiveKeyEntry read(KeyHash hash) {
        return ReplicaMaps.read(entries, hash);
    }

    /**
     * Tells readers how far this writer got. Call when the writer has caught up with the event log: readers become
     * ready once they hold as many entries as the map had then.
     */
    public void publishCaughtUp() {
        long size = entries.size();
        // Never lower the published size: another writer may have published a larger map.
        meta.merge(ReplicaMaps.PUBLISHED_SIZE, size, Math::max);
    }

    private void awaitLocalCopy() {
        while (!localCopyComplete) {
            localCopyComplete = ReplicaMaps.localCopyComplete(entries, meta, true);
            if (!localCopyComplete) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while this member's replica copy was filling", e);
                }
            }
        }
    }
}
