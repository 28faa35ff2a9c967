package io.latchkey.validator.hazelcast;

import com.hazelcast.config.Config;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.LifecycleService;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.validator.KeyReplica;
import io.latchkey.validator.ReplicaUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    /**
     * How long a caller waits for the published size, at most: callers include the gateway's event loops, and an owner
     * cut off from this member can take a minute to fail a read.
     */
    private static final long PUBLISHED_READ_TIMEOUT_MILLIS = 100;
    /** After a read that timed out, the next waits this long: an unreachable owner costs a caller 100 ms a second. */
    private static final long PUBLISHED_BACKOFF_NANOS = 1_000_000_000;

    /**
     * How long a replica may stay unready before it says what its member sees: a validator given another cluster's
     * name, or no address of the installation's members, is otherwise alone for good, answering 503 with nothing
     * logged.
     */
    static final Duration UNREADY_WARNING = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(HazelcastKeyReplica.class);

    private final HazelcastInstance hazelcast;
    private final LifecycleService lifecycle;
    private final long openedAtNanos = System.nanoTime();
    private final long unreadyWarningNanos;
    private final AtomicBoolean warnedUnready = new AtomicBoolean();
    private final ReplicatedMap<KeyHash, byte[]> entries;
    private final IMap<String, Long> meta;
    private final ReplicatedMap<String, Long> heads;
    private final MergeTombstones tombstones;
    /** The merges begun when the copy was last found complete: a merge since empties it, which must fill again. */
    private volatile long readyAfterMerges = -1;
    private volatile long asOfMillis = -1;
    private volatile long asOfReadAtNanos = System.nanoTime() - AS_OF_REFRESH_NANOS;
    private final AtomicReference<Published> published = new AtomicReference<>(
            new Published(Long.MAX_VALUE, -1, System.nanoTime() - PUBLISHED_REFRESH_NANOS, false));
    private final AtomicBoolean reading = new AtomicBoolean();
    private final PublishedFingerprint publishedFingerprint;
    /**
     * Set once the first read of the fingerprint is over (found or not): until then the replica is not ready, so that
     * a validator with another pepper never answers a key as unknown before it learns the installation's.
     */
    private volatile boolean fingerprintAsked;
    private final AtomicLong fingerprintAskedAtNanos = new AtomicLong(System.nanoTime());

    private HazelcastKeyReplica(HazelcastInstance hazelcast, Duration unreadyWarning) {
        this.hazelcast = hazelcast;
        this.lifecycle = hazelcast.getLifecycleService();
        this.unreadyWarningNanos = unreadyWarning.toNanos();
        this.entries = ReplicaMaps.activeKeys(hazelcast);
        this.meta = ReplicaMaps.meta(hazelcast);
        this.heads = ReplicaMaps.heads(hazelcast);
        this.tombstones = MergeTombstones.of(hazelcast);
        this.publishedFingerprint = PublishedFingerprint.of(hazelcast, meta);
        readFingerprint();
    }

    /**
     * The fingerprint the command side published, as this member last read or heard it: a fingerprint published later
     * (the installation's pepper changed) is heard as it is written, so a validator that matched the old one stops
     * deciding. One per member (its user context), with one listener, however many replicas are made on it (a
     * propagation probe makes one each time it runs).
     */
    private static final class PublishedFingerprint implements EntryAddedListener<String, Long>,
            EntryUpdatedListener<String, Long>, EntryMergedListener<String, Long> {

        private static final String CONTEXT_KEY = PublishedFingerprint.class.getName();
        /** Null before one was read or heard. */
        private volatile Long value;

        static PublishedFingerprint of(HazelcastInstance hazelcast, IMap<String, Long> meta) {
            return (PublishedFingerprint) hazelcast.getUserContext().computeIfAbsent(CONTEXT_KEY, key -> {
                PublishedFingerprint published = new PublishedFingerprint();
                meta.addEntryListener(published, ReplicaMaps.PEPPER_FINGERPRINT, true);
                return published;
            });
        }

        @Override
        public void entryAdded(EntryEvent<String, Long> event) {
            value = event.getValue();
        }

        @Override
        public void entryUpdated(EntryEvent<String, Long> event) {
            value = event.getValue();
        }

        @Override
        public void entryMerged(EntryEvent<String, Long> event) {
            value = event.getValue();
        }
    }

    /**
     * The replica as {@code hazelcast} holds it, which must be a member made from {@link ReplicaCluster#memberConfig}:
     * anything else is refused at once, where it would fail at the first lookup or never become current.
     */
    public static HazelcastKeyReplica of(HazelcastInstance hazelcast) {
        return of(hazelcast, UNREADY_WARNING);
    }

    static HazelcastKeyReplica of(HazelcastInstance hazelcast, Duration unreadyWarning) {
        Objects.requireNonNull(hazelcast, "hazelcast is required: a member made from ReplicaCluster.memberConfig");
        if (!ReplicaCluster.isReplicaMember(hazelcast)) {
            throw new IllegalArgumentException("Hazelcast instance " + hazelcast.getName() + " cannot hold the key "
                    + "replica: make it a member from ReplicaCluster.memberConfig (a client, or a member configured "
                    + "otherwise, cannot)");
        }
        return new HazelcastKeyReplica(hazelcast, unreadyWarning);
    }

    /** This member's entry, except that a revocation it saw before a split-brain merge stays in force through it. */
    @Override
    public ActiveKeyEntry lookup(KeyHash hash) {
        try {
            return tombstones.guard(hash, ReplicaMaps.read(entries, hash));
        } catch (HazelcastInstanceNotActiveException e) {
            throw new ReplicaUnavailableException("The key replica's member " + hazelcast.getName()
                    + " has shut down", e);
        }
    }

    @Override
    public boolean isReady() {
        // A member shut down decides nothing more: its copy can no longer be read.
        if (!lifecycle.isRunning() || tombstones.merging()) {
            return false;
        }
        long merges = tombstones.merge();
        if (merges == readyAfterMerges) {
            return true;
        }
        // Merging is flagged before a merge is counted: a merge that began while the copy was measured is caught here.
        boolean complete;
        try {
            complete = fingerprintAsked && entries.size() >= published(merges) && !tombstones.merging();
        } catch (HazelcastInstanceNotActiveException shutDown) {
            return false;
        }
        if (complete) {
            readyAfterMerges = merges;
        } else if (readyAfterMerges == -1 && System.nanoTime() - openedAtNanos >= unreadyWarningNanos
                && !warnedUnready.getAndSet(true)) {
            // Never complete since it was opened: most likely the configuration. A copy that was complete and is
            // filling again (after a merge) is the validator's to tell (CurrencyLog), not a matter of settings.
            warnUnready(merges);
        }
        return complete;
    }

    /** Once: what this member sees of its cluster, and what to check. */
    private void warnUnready(long merges) {
        long publishedSize = published(merges);
        Config config = hazelcast.getConfig();
        log.warn("The key replica is not ready {} s after it was opened, and no key can be decided until it is: "
                        + "this member is in replica cluster '{}' with {} member(s), holding {} entries, and {}. "
                        + "A validator beside a Latchkey installation needs the installation's cluster name "
                        + "(bin/latchkey prints it), the address of one of its members (this member asks {}), and "
                        + "the same pepper",
                Duration.ofNanos(System.nanoTime() - openedAtNanos).toSeconds(), config.getClusterName(),
                hazelcast.getCluster().getMembers().size(), entries.size(),
                publishedSize == Long.MAX_VALUE ? "no writer (a Latchkey query side) has published to it"
                        : "a writer published " + publishedSize + " entries",
                config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
    }

    /**
     * What the writers last published as the map's size, read from its partition's owner by one caller at a time and
     * at most every {@value #PUBLISHED_REFRESH_NANOS} ns: callers ask per request, from event loops too, while the
     * copy fills. The caller that reads waits {@value #PUBLISHED_READ_TIMEOUT_MILLIS} ms at most, and after a read that
     * took longer the next is a second away. A size read before the latest merge began does not count.
     * {@link Long#MAX_VALUE} while nothing has been published, or while nothing has been read since the latest merge
     * began.
     */
    private long published(long merges) {
        Published last = published.get();
        long now = System.nanoTime();
        long interval = last.timedOut() ? PUBLISHED_BACKOFF_NANOS : PUBLISHED_REFRESH_NANOS;
        if ((now - last.readAtNanos() >= interval || last.merges() != merges) && reading.compareAndSet(false, true)) {
            try {
                Long size = ReplicaMaps.publishedAsync(meta).toCompletableFuture()
                        .get(PUBLISHED_READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                last = new Published(size == null ? Long.MAX_VALUE : size, merges, now, false);
            } catch (TimeoutException slow) {
                last = new Published(Long.MAX_VALUE, merges, now, true);
            } catch (ExecutionException | RuntimeException unreachable) {
                // The owner cannot be asked now (the cluster is changing): not ready yet, and asked again later.
                last = new Published(Long.MAX_VALUE, merges, now, false);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                last = new Published(Long.MAX_VALUE, merges, now, false);
            } finally {
                reading.set(false);
            }
            published.set(last);
        }
        return last.merges() == merges ? last.size() : Long.MAX_VALUE;
    }

    /**
     * A published size, the merges begun when it was read, when ({@link System#nanoTime}), and whether the read gave
     * up waiting.
     */
    private record Published(long size, long merges, long readAtNanos, boolean timedOut) {
    }

    /**
     * Never waits: the published fingerprint as last read, or as a listener heard it change. While it is not {@code
     * fingerprint}, a read is also started at most once a second and answers a later call, so that a command side whose
     * pepper was mended is seen even should a change not be heard.
     */
    @Override
    public Hashing hashing(long fingerprint) {
        Long known = publishedFingerprint.value;
        if (known != null && known == fingerprint) {
            return Hashing.SAME;
        }
        long asked = fingerprintAskedAtNanos.get();
        long now = System.nanoTime();
        if (now - asked >= PUBLISHED_BACKOFF_NANOS && fingerprintAskedAtNanos.compareAndSet(asked, now)) {
            try {
                readFingerprint();
            } catch (HazelcastInstanceNotActiveException shutDown) {
                // Nothing more to learn; isReady is false from now on.
            }
        }
        return known == null ? Hashing.UNKNOWN : Hashing.OTHER;
    }

    /**
     * Over within a second, found or not: a read sent while the key's owner was cut off would otherwise hold the
     * replica unready until Hazelcast gives up on it, minutes later.
     */
    private void readFingerprint() {
        meta.getAsync(ReplicaMaps.PEPPER_FINGERPRINT).toCompletableFuture().copy()
                .orTimeout(PUBLISHED_BACKOFF_NANOS, TimeUnit.NANOSECONDS)
                .whenComplete((read, failed) -> {
                    if (read != null) {
                        publishedFingerprint.value = read;
                    }
                    fingerprintAsked = true;
                });
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
            try {
                asOfMillis = heads.values().stream().mapToLong(Long::longValue).max().orElse(-1);
            } catch (HazelcastInstanceNotActiveException shutDown) {
                // The last reading stands; isReady is false from now on.
            }
            asOfReadAtNanos = now;
        }
        long millis = asOfMillis;
        return millis < 0 ? null : Instant.ofEpochMilli(millis);
    }
}
