package io.latchkey.validator.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Keeps a member from re-admitting a key it has already seen revoked while its replica is merged after a split brain.
 * A merging member's copy is emptied and refilled from the other side, which may still hold the key ACTIVE until the
 * merge policy has run and replicated REVOKED back; during that window this member would answer from the other
 * side's stale entry. So when Hazelcast announces MERGING (before it empties anything) the member's tombstones are
 * held aside, lookups prefer them by the merge rule ({@link ActiveKeyEntry#newer}), and each is released once the
 * member's own copy carries it again. Only during a merge does this cost more than one volatile read.
 */
final class MergeTombstones {

    private static final String CONTEXT_KEY = "latchkey.merge-tombstones";
    private static final long RELEASE_CHECK_MILLIS = 100;

    private final Map<KeyHash, ActiveKeyEntry> held = new ConcurrentHashMap<>();
    private volatile boolean holding;

    /** The member's single instance, listening to its lifecycle from the first call on. */
    static MergeTombstones of(HazelcastInstance hazelcast) {
        return (MergeTombstones) hazelcast.getUserContext().computeIfAbsent(CONTEXT_KEY, key -> {
            MergeTombstones tombstones = new MergeTombstones();
            hazelcast.getLifecycleService().addLifecycleListener(tombstones.listener(hazelcast));
            return tombstones;
        });
    }

    /** Holds every REVOKED entry of {@code copy}, the member's copy as it is before the merge empties it. */
    void hold(Map<KeyHash, byte[]> copy) {
        copy.forEach((hash, bytes) -> {
            ActiveKeyEntry entry = ActiveKeyEntry.fromBytes(bytes);
            if (entry.status() == KeyStatus.REVOKED) {
                held.merge(hash, entry, ActiveKeyEntry::newer);
            }
        });
        holding = !held.isEmpty();
    }

    /** What a lookup must answer: the local entry, unless a held tombstone wins over it. */
    ActiveKeyEntry guard(KeyHash hash, ActiveKeyEntry local) {
        if (!holding) {
            return local;
        }
        ActiveKeyEntry tombstone = held.get(hash);
        return tombstone == null ? local : ActiveKeyEntry.newer(local, tombstone);
    }

    /** Drops every tombstone the member's copy carries again (at least as new); true when none is left. */
    boolean release(Function<KeyHash, ActiveKeyEntry> local) {
        held.entrySet().removeIf(tombstone -> {
            ActiveKeyEntry current = local.apply(tombstone.getKey());
            // newer() keeps its first argument on a tie: the copy has caught up with the tombstone.
            return current != null && ActiveKeyEntry.newer(current, tombstone.getValue()) == current;
        });
        holding = !held.isEmpty();
        return !holding;
    }

    int size() {
        return held.size();
    }

    private LifecycleListener listener(HazelcastInstance hazelcast) {
        return event -> {
            LifecycleEvent.LifecycleState state = event.getState();
            if (state == LifecycleEvent.LifecycleState.MERGING) {
                hold(ReplicaMaps.activeKeys(hazelcast));
            } else if ((state == LifecycleEvent.LifecycleState.MERGED
                    || state == LifecycleEvent.LifecycleState.MERGE_FAILED) && holding) {
                ReplicatedMap<KeyHash, byte[]> entries = ReplicaMaps.activeKeys(hazelcast);
                Thread releaser = new Thread(() -> awaitRelease(hazelcast, entries), "latchkey-merge-tombstones");
                releaser.setDaemon(true);
                releaser.start();
            }
        };
    }

    private void awaitRelease(HazelcastInstance hazelcast, ReplicatedMap<KeyHash, byte[]> entries) {
        while (hazelcast.getLifecycleService().isRunning()
                && !release(hash -> ReplicaMaps.read(entries, hash))) {
            try {
                Thread.sleep(RELEASE_CHECK_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
