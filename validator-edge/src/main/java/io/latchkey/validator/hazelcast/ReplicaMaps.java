package io.latchkey.validator.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import java.util.concurrent.CompletionStage;

/** The names and types of the replicated structures, and the completeness rule readers and writers share. */
public final class ReplicaMaps {

    /** Key hash → {@link io.latchkey.api.replica.ActiveKeyEntry} bytes, replicated to every member. */
    public static final String ACTIVE_KEYS = "latchkey-active-keys";
    /**
     * What writers have published. A partitioned map on purpose: a read goes to the partition owner, so a member
     * whose replicated copy is still filling cannot mistake a warm cluster for a cold one.
     */
    public static final String META = "latchkey-replica-meta";
    /**
     * Writer member id → the epoch millisecond at which that writer, caught up with the event log, last confirmed
     * its writes. Replicated like the entries, so each member's own copy tells how current that member is; entries
     * expire, so writers that are gone leave nothing behind.
     */
    public static final String HEADS = "latchkey-replica-heads";
    /** Size of the replicated map when a writer last caught up with the event log; absent on a cold cluster. */
    static final String PUBLISHED_SIZE = "published.size";
    /** The command side's {@code KeyHasher.fingerprint}: a validator given another pepper finds every key unknown. */
    static final String PEPPER_FINGERPRINT = "pepper.fingerprint";

    private ReplicaMaps() {
    }

    static ReplicatedMap<KeyHash, byte[]> activeKeys(HazelcastInstance hazelcast) {
        return hazelcast.getReplicatedMap(ACTIVE_KEYS);
    }

    static ReplicatedMap<String, Long> heads(HazelcastInstance hazelcast) {
        return hazelcast.getReplicatedMap(HEADS);
    }

    static IMap<String, Long> meta(HazelcastInstance hazelcast) {
        return hazelcast.getMap(META);
    }

    /** This member's entry for {@code hash}, decoded, or null. */
    static ActiveKeyEntry read(ReplicatedMap<KeyHash, byte[]> entries, KeyHash hash) {
        byte[] value = entries.get(hash);
        return value == null ? null : ActiveKeyEntry.fromBytes(value);
    }

    /**
     * True when this member's copy holds at least what was published: entries are never removed, so that many
     * entries means the copy is complete up to the publication. {@code whenCold} answers for a cluster where nothing
     * was ever published.
     */
    static boolean localCopyComplete(ReplicatedMap<KeyHash, byte[]> entries, IMap<String, Long> meta, boolean whenCold) {
        Long published = published(meta);
        return published == null ? whenCold : entries.size() >= published;
    }

    /** The map's size when a writer last caught up with the event log; null on a cold cluster. A remote read. */
    static Long published(IMap<String, Long> meta) {
        return meta.get(PUBLISHED_SIZE);
    }

    /** {@link #published}, answered later. */
    static CompletionStage<Long> publishedAsync(IMap<String, Long> meta) {
        return meta.getAsync(PUBLISHED_SIZE);
    }
}
