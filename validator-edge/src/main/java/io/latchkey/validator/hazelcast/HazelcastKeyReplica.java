package io.latchkey.validator.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.validator.KeyReplica;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reads this member's local copy of the replicated map. Ready once a writer has published that it caught up with the
 * event log and this member holds at least as many entries as that writer did: entries are never removed, so a copy
 * that large is complete up to that point. A split-brain merge empties the copy and refills it from the other side,
 * so the member is not ready from the merge's start until its copy is that large again. How current it is comes from
 * the writers' confirmations ({@link ReplicaWriter#publishCaughtUp}), read from this member's own copy of
 * {@link ReplicaMaps#HEADS}. Create it before the member can take part in a split-brain merge:
 * {@link MergeTombstones} starts listening with the first.
 */
public final class HazelcastKeyReplica implements KeyReplica {

    /** Callers ask per request; the heads change a few times a second, so a 10 ms old answer is as good. */
    private static final long AS_OF_REFRESH_NANOS = 10_000_000;
    private static final long PUBLISHED_REFRESH_NANOS = 10_000_000;
    /** While the copy is short of the published size, how often that size is read again without a caller asking. */
    private static final long SHORT_REREAD_MILLIS = 50;
    /** A read of the published size unanswered this long (its owner unreachable) no longer holds off the next. */
    private static final long PUBLISHED_READ_PATIENCE_NANOS = 1_000_000_000;

    private final ReplicatedMap<KeyHash, byte[]> entries;
    private final IMap<String, Long> meta;
    private final ReplicatedMap<String, Long> heads;
    private final MergeTombstones tombstones;
    /** The merges begun when the copy was last found complete: a merge since empties it, which must fill again. */
    private volatile long readyAfterMerges = -1;
    private volatile long asOfMillis = -1;
    private volatile long asOfReadAtNanos = System.nanoTime() - AS_OF_REFRESH_NANOS;
    private final AtomicReference<Published> published = new AtomicReference<>(
            new Published(Long.MAX_VALUE, -1, System.nanoTime() - PUBLISHED_REFRESH_NANOS));
    /** When the read of the published size in flight was sent ({@link System#nanoTime}), or null when none is. */
    private final AtomicReference<Long> readingSince = new AtomicReference<>();

    private HazelcastKeyReplica(HazelcastInstance hazelcast) {
        this.entries = ReplicaMaps.activeKeys(hazelcast);
        this.meta = ReplicaMaps.meta(hazelcast);
        this.heads = ReplicaMaps.heads(hazelcast);
        this.tombstones = MergeTombstones.of(hazelcast);
        // Asked now, and again while the copy is short, so that a caller, who never waits for the answer, finds a
        // fresh one: the first admin key after a start, say, rather than the answer of a minute ago.
        published(tombstones.merge());
    }

    public static HazelcastKeyReplica of(HazelcastInstance hazelcast) {
        return new HazelcastKeyReplica(hazelcast);
    }

    /** This member's entry, except that a revocation it saw before a split-brain merge stays in force through it. */
    @Override
    public ActiveKeyEntry lookup(KeyHash hash) {
        return tombstones.guard(hash, ReplicaMaps.read(entries, hash));
    }

    @Override
    public boolean isReady() {
        if (tombstones.merging()) {
            return false;
        }
        long merges = tombstones.merge();
        if (merges == readyAfterMerges) {
            return true;
        }
        // Merging is flagged before a merge is counted: a merge that began while the copy was measured is caught here.
        boolean complete = entries.size() >= published(merges) && !tombstones.merging();
        if (complete) {
            readyAfterMerges = merges;
        }
        return complete;
    }

    /**
     * What the writers last published as the map's size, as last read from its partition's owner. Callers ask per
     * request, from event loops too, while the copy fills, so they never wait for the owner: a read is sent at most
     * every {@value #PUBLISHED_REFRESH_NANOS} ns, one at a time unless it goes unanswered for a second (an owner cut
     * off can take a minute to fail it), and its answer serves the callers after it. A size read before the latest
     * merge began does not count. {@link Long#MAX_VALUE} while nothing has been published, or while nothing has been
     * read since the latest merge began.
     */
    private long published(long merges) {
        Published last = published.get();
        long now = System.nanoTime();
        if (now - last.readAtNanos() >= PUBLISHED_REFRESH_NANOS || last.merges() != merges) {
            Long since = readingSince.get();
            // Compared by reference: the read's own mark is what it clears.
            Long mark = now;
            if ((since == null || now - since >= PUBLISHED_READ_PATIENCE_NANOS)
                    && readingSince.compareAndSet(since, mark)) {
                readPublished(merges, mark);
            }
        }
        return last.merges() == merges ? last.size() : Long.MAX_VALUE;
    }

    private void readPublished(long merges, Long mark) {
        try {
            ReplicaMaps.publishedAsync(meta).whenComplete((size, failure) -> {
                // The owner could not be asked (the cluster is changing): not ready yet, and asked again later.
                long publishedSize = failure != null || size == null ? Long.MAX_VALUE : size;
                published.set(new Published(publishedSize, merges, mark));
                readingSince.compareAndSet(mark, null);
                if (entries.size() < publishedSize && tombstones.merge() == merges) {
                    CompletableFuture.delayedExecutor(SHORT_REREAD_MILLIS, TimeUnit.MILLISECONDS)
                            .execute(() -> published(merges));
                }
            });
        } catch (RuntimeException unreachable) {
            published.set(new Published(Long.MAX_VALUE, merges, mark));
            readingSince.compareAndSet(mark, null);
        }
    }

    /** A published size, the merges begun when it was read, and when ({@link System#nanoTime}). */
    private record Published(long size, long merges, long readAtNanos) {
    }

    @Override
    public int size() {
        return entries.size();
    }

    /** The newest confirmation any writer has got to this member: one caught-up writer covers every key. */
    @Override
    public Instant asOf() {
        long now = System.nanoTime();
        if (now - asOfReadAtNanos >= AS_OF_REFRESH_NANOS) {
            asOfMillis = heads.values().stream().mapToLong(Long::longValue).max().orElse(-1);
            asOfReadAtNanos = now;
        }
        long millis = asOfMillis;
        return millis < 0 ? null : Instant.ofEpochMilli(millis);
    }
}
