package io.latchkey.validator.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.replicatedmap.ReplicatedMap;

/** The names and types of the replicated structures. */
public final class ReplicaMaps {

    /** Hex key hash → {@link io.latchkey.api.replica.ActiveKeyEntry} bytes. */
    public static final String ACTIVE_KEYS = "latchkey-active-keys";
    /** What the writers have published: {@link #PUBLISHED_SIZE} and {@link #PUBLISHED_CAUGHT_UP}. */
    public static final String META = "latchkey-replica-meta";
    static final String PUBLISHED_SIZE = "published.size";
    static final String PUBLISHED_CAUGHT_UP = "published.caught-up";

    private ReplicaMaps() {
    }

    static ReplicatedMap<String, byte[]> activeKeys(HazelcastInstance hazelcast) {
        return hazelcast.getReplicatedMap(ACTIVE_KEYS);
    }

    static ReplicatedMap<String, Long> meta(HazelcastInstance hazelcast) {
        return hazelcast.getReplicatedMap(META);
    }
}
