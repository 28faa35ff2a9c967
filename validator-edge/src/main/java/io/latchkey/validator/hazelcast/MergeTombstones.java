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
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Keeps a member from re-admitting a key it has already seen revoked while its replica is merged after a split brain.
 * A merging member's copy is emptied and refilled from the other side, which may still hold the key ACTIVE until the
 * merge policy has run and replicated REVOKED back; during that window this member would answer from the other
 * side's stale entry. So when Hazelcast announces MERGING (before it empties anything) the member's tombstones are
 * held aside, lookups prefer them by the merge rule ({@link ActiveKeyEntry#newer}), and each is released once the
 * member's own copy has carried it again at every check for {@value #SETTLE_MILLIS} ms: a copy that carried it once
 * might still be overwritten by a late sync of the other side's older data (inferred from one failed test run when
 * tombstones were released at first sight, not observed). Since REVOKED is final, holding a tombstone longer is never
 * wrong; only during a merge and its settling does this cost more than one volatile read.
 */
final class MergeTombstones {

    private static final String CONTEXT_KEY = "latchkey.merge-tombstones";
    private static final long RELEASE_CHECK_MILLIS = 100;
    static final long SETTLE_MILLIS = 30_000;

    private final Map<KeyHash, Held> held = new ConcurrentHashMap<>();
    private volatile boolean holding;
    /** Merges begun; a releaser of an earlier one stops, so that it cannot release what a later merge holds. */
    private volatile long merges;
    /** Between MERGING and MERGED (or MERGE_FAILED): the member's copy is being emptied and refilled. */
    private volatile boolean merging;
    /** When ({@link System#nanoTime}) the latest merge ended; meaningful once a merge has begun. */
    private volatile long mergeEndedNanos;

    /** A tombstone, and whether and since when ({@link System#nanoTime}) the member's copy has carried it. */
    private record Held(ActiveKeyEntry tombstone, boolean carried, long since) {
    }

    /** The member's single instance, listening to its lifecycle from the first call on. */
    static MergeTombstones of(HazelcastInstance hazelcast) {
        return (MergeTombstones) hazelcast.getUserContext().computeIfAbsent(CONTEXT_KEY, key -> {
            MergeTombstones tombstones = new MergeTombstones();
            hazelcast.getLifecycleService().addLifecycleListener(tombstones.listener(hazelcast));
            return tombstones;
        });
    }

    /** Holds every REVOKED entry of {@code copy}, the member's copy as it is before the merge empties it. */
    synchronized void hold(Map<KeyHash, byte[]> copy) {
        merges++;
        copy.forEach((hash, bytes) -> {
            ActiveKeyEntry entry = ActiveKeyEntry.fromBytes(bytes);
            if (entry.status() == KeyStatus.REVOKED) {
                held.merge(hash, new Held(entry, false, 0),
                        (was, now) -> new Held(ActiveKeyEntry.newer(was.tombstone(), now.tombstone()), false, 0));
            }
        });
        // Whatever was held before starts settling again: the copy is about to be emptied.
        held.replaceAll((hash, tombstone) -> tombstone.carried() ? new Held(tombstone.tombstone(), false, 0)
                : tombstone);
        holding = !held.isEmpty();
    }

    /** What a lookup must answer: the local entry, unless a held tombstone wins over it. */
    ActiveKeyEntry guard(KeyHash hash, ActiveKeyEntry local) {
        if (!holding) {
            return local;
        }
        Held tombstone = held.get(hash);
        return tombstone == null ? local : ActiveKeyEntry.newer(local, tombstone.tombstone());
    }

    /**
     * Drops every tombstone that the member's copy has carried (at least as new) at each call for
     * {@value #SETTLE_MILLIS} ms up to {@code nanoTime}; true when none is left, or when a later merge than
     * {@code merge} has begun, whose own releaser takes over.
     */
    synchronized boolean release(Function<KeyHash, ActiveKeyEntry> local, long nanoTime, long merge) {
        if (merge != merges) {
            return true;
        }
        held.replaceAll((hash, tombstone) -> {
            ActiveKeyEntry current = local.apply(hash);
            // newer() keeps its first argument on a tie: the copy has caught up with the tombstone.
            boolean carried = current != null && ActiveKeyEntry.newer(current, tombstone.tombstone()) == current;
            if (carried == tombstone.carried()) {
                return tombstone;
            }
            return new Held(tombstone.tombstone(), carried, nanoTime);
        });
        long settle = TimeUnit.MILLISECONDS.toNanos(SETTLE_MILLIS);
        held.values().removeIf(tombstone -> tombstone.carried() && nanoTime - tombstone.since() >= settle);
        holding = !held.isEmpty();
        return !holding;
    }

    /** The number of the latest merge begun, which its releaser passes to {@link #release}. */
    long merge() {
        return merges;
    }

    /** When ({@link System#nanoTime}) the latest merge ended; read only once {@link #merge} is above 0. */
    long mergeEndedNanos() {
        return mergeEndedNanos;
    }

    /** True while a merge empties and refills the member's copy: it is incomplete then, whatever its size. */
    boolean merging() {
        return merging;
    }

    int size() {
        return held.size();
    }

    private LifecycleListener listener(HazelcastInstance hazelcast) {
        return event -> {
            LifecycleEvent.LifecycleState state = event.getState();
            if (state == LifecycleEvent.LifecycleState.MERGING) {
                merging = true;
                hold(ReplicaMaps.activeKeys(hazelcast));
            } else if (state == LifecycleEvent.LifecycleState.MERGED
                    || state == LifecycleEvent.LifecycleState.MERGE_FAILED) {
                mergeEndedNanos = System.nanoTime();
                merging = false;
            }
            if ((state == LifecycleEvent.LifecycleState.MERGED
                    || state == LifecycleEvent.LifecycleState.MERGE_FAILED) && holding) {
                ReplicatedMap<KeyHash, byte[]> entries = ReplicaMaps.activeKeys(hazelcast);
                long merge = merge();
                Thread releaser = new Thread(() -> awaitRelease(hazelcast, entries, merge),
                        "latchkey-merge-tombstones");
                releaser.setDaemon(true);
                releaser.start();
            }
        };
    }

    private void awaitRelease(HazelcastInstance hazelcast, ReplicatedMap<KeyHash, byte[]> entries, long merge) {
        while (hazelcast.getLifecycleService().isRunning()
                && !release(hash -> ReplicaMaps.read(entries, hash), System.nanoTime(), merge)) {
            try {
                Thread.sleep(RELEASE_CHECK_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
