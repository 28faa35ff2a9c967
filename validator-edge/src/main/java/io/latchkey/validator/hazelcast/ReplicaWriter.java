package io.latchkey.validator.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only way entries enter the replicated map. A write that would replace a newer entry or un-revoke a key is
 * dropped, so replays and redeliveries change nothing; only {@link #overwrite}, the repair after a crash of the
 * embedded store took back events, may. The rule is checked against this member's own copy, so no
 * write happens before that copy is complete: on a warm cluster the first write waits until this member holds what
 * the writers last published (a writer restarting into a warm cluster would otherwise see no tombstones and put its
 * replay's first, ACTIVE entries over them). A split-brain merge empties that copy again, so writes wait from the
 * merge's start until it is complete again, at most {@value #REFILL_BOUND_SECONDS} s after the merge ended, on every
 * writer of a member that has merged: a merge that lost entries leaves the copy short for good, and the writes that
 * restore them (the reconciliation after a merge) would otherwise wait for ever.
 */
public final class ReplicaWriter {

    /** Longer than any sane lag bound, so only writers gone for good disappear from the heads. */
    private static final Duration HEAD_RETENTION = Duration.ofHours(1);
    private static final long REPUBLISH_NANOS = 1_000_000_000;
    private static final long REFILL_BOUND_SECONDS = 60;
    private static final Duration REFILL_BOUND = Duration.ofSeconds(REFILL_BOUND_SECONDS);
    private static final Logger log = LoggerFactory.getLogger(ReplicaWriter.class);

    private final ReplicatedMap<KeyHash, byte[]> entries;
    private final IMap<String, Long> meta;
    private final ReplicatedMap<String, Long> heads;
    private final String writerId;
    private final MergeTombstones merges;
    private final long refillBoundNanos;
    /** The merges begun when this member's copy was last found complete; -1 before it was. */
    private volatile long completeAfterMerges = -1;
    private long lastPublishedSize = -1;
    private long lastPublishedAtNanos;

    private ReplicaWriter(HazelcastInstance hazelcast, Duration refillBound) {
        this.refillBoundNanos = refillBound.toNanos();
        this.entries = ReplicaMaps.activeKeys(hazelcast);
        this.meta = ReplicaMaps.meta(hazelcast);
        this.heads = ReplicaMaps.heads(hazelcast);
        this.writerId = hazelcast.getCluster().getLocalMember().getUuid().toString();
        this.merges = MergeTombstones.of(hazelcast);
    }

    public static ReplicaWriter of(HazelcastInstance hazelcast) {
        return new ReplicaWriter(hazelcast, REFILL_BOUND);
    }

    /** With another bound on the wait after a merge, for tests. */
    static ReplicaWriter of(HazelcastInstance hazelcast, Duration refillBound) {
        return new ReplicaWriter(hazelcast, refillBound);
    }

    /** Writes {@code entry} for {@code hash} unless the map already holds an entry that wins over it. */
    public boolean write(KeyHash hash, ActiveKeyEntry entry) {
        awaitLocalCopy();
        ActiveKeyEntry existing = read(hash);
        // newer() keeps the first argument on a tie, so an equal redelivery is dropped too.
        if (existing != null && ActiveKeyEntry.newer(existing, entry) != entry) {
            return false;
        }
        entries.put(hash, entry.toBytes());
        return true;
    }

    /**
     * Writes {@code entry} for {@code hash} whatever the map holds at version {@code upTo} or below, unless it holds
     * just that: for a writer that found the map holding what the event log no longer does (a crash of the embedded
     * store took back events it had written), where the rule of {@link #write} would keep it, even a REVOKED one. An
     * entry at a later version is left: another writer, ahead of this one, wrote it.
     */
    public boolean overwrite(KeyHash hash, ActiveKeyEntry entry, long upTo) {
        awaitLocalCopy();
        ActiveKeyEntry existing = read(hash);
        if (entry.equals(existing) || existing != null && existing.version() > upTo) {
            return false;
        }
        entries.put(hash, entry.toBytes());
        return true;
    }

    /**
     * Writes many entries in one replication round, with the same rule as {@link #write}; for rebuilds and bulk
     * loads, where single puts would cost a round of replication each.
     */
    public int writeAll(Map<KeyHash, ActiveKeyEntry> batch) {
        awaitLocalCopy();
        Map<KeyHash, byte[]> winners = new HashMap<>(batch.size() * 2);
        batch.forEach((hash, entry) -> {
            ActiveKeyEntry existing = read(hash);
            if (existing == null || ActiveKeyEntry.newer(existing, entry) == entry) {
                winners.put(hash, entry.toBytes());
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
     * Tells readers how far this writer got. Call it every few hundred milliseconds while this writer is caught up
     * with the event log, with the time it was caught up at: readers turn ready once they hold as many entries as the
     * map had then, and measure their lag by the newest such time that reached them, so a reader that stops hearing
     * it (writers down or behind, or this member cut off) stops trusting itself once its bound is exceeded.
     */
    public void publishCaughtUp(Instant asOf) {
        publishSize();
        confirm(asOf);
    }

    /** The first half of {@link #publishCaughtUp}: the map's size, for readers to measure their copies by. */
    public void publishSize() {
        long size = entries.size();
        long now = System.nanoTime();
        // Again every second even when unchanged: should every copy of the entry be lost, readers would never turn
        // ready and a restarted writer would take a warm cluster for a cold one, writing before its copy filled.
        if (size != lastPublishedSize || now - lastPublishedAtNanos >= REPUBLISH_NANOS) {
            // Never lower the published size: another writer may have published a larger map.
            meta.merge(ReplicaMaps.PUBLISHED_SIZE, size, Math::max);
            lastPublishedSize = size;
            lastPublishedAtNanos = now;
        }
    }

    /**
     * Tells readers how secrets are hashed ({@code KeyHasher.fingerprint}), so that a validator given another pepper
     * says so and decides nothing, where it would answer every key as unknown. The command side, which hashes every
     * secret, calls it; idempotent.
     */
    public void publishPepperFingerprint(long fingerprint) {
        meta.set(ReplicaMaps.PEPPER_FINGERPRINT, fingerprint);
    }

    /** The second half of {@link #publishCaughtUp}: this writer's confirmation that it got as far as {@code asOf}. */
    public void confirm(Instant asOf) {
        heads.put(writerId, asOf.toEpochMilli(), HEAD_RETENTION.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * True once the bound has passed since merge {@code merge} ended; never on a member that has not merged (a start
     * waits for as long as filling takes).
     */
    private boolean shortForTooLong(long merge) {
        if (merge == 0 || System.nanoTime() - merges.mergeEndedNanos() < refillBoundNanos) {
            return false;
        }
        log.warn("Replica copy still short of the published size {} ms after a merge; writing against what it holds",
                TimeUnit.NANOSECONDS.toMillis(refillBoundNanos));
        return true;
    }

    private void awaitLocalCopy() {
        while (true) {
            long merge = merges.merge();
            if (!merges.merging() && completeAfterMerges == merge) {
                return;
            }
            // Merging is flagged before a merge is counted: one that began while the copy was measured is caught here.
            if (!merges.merging() && (ReplicaMaps.localCopyComplete(entries, meta, true) || shortForTooLong(merge))
                    && !merges.merging() && merges.merge() == merge) {
                completeAfterMerges = merge;
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while this member's replica copy was filling", e);
            }
        }
    }
}
