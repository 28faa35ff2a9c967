package io.latchkey.query;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyExpiredEvent;
import io.latchkey.api.ApiKeyQuotaChangedEvent;
import io.latchkey.api.ApiKeyRateLimitChangedEvent;
import io.latchkey.api.ApiKeyRenewedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.ApiKeyScopesChangedEvent;
import io.latchkey.api.DeveloperRateLimitChangedEvent;
import io.latchkey.api.RateLimit;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.query.ReplicaSnapshot.DeveloperDefault;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.SequenceNumber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Folds key events into the replicated map of secret hashes that every edge validates against. Each event rewrites
 * every hash the key ever had with the key's new state and the event's sequence number as version; a revocation
 * writes REVOKED tombstones, never removals. The per-key state is in memory and saved in {@link ReplicaSnapshot},
 * which the processor's token starts from: a start restores the saved states into the map (a cold one is rebuilt;
 * {@link ReplicaWriter} drops what a warm one already holds) and reads the log from the saved position, or from its
 * beginning before the first save. After a split-brain merge {@link ReplicaReconciler} has it write every key again.
 * A developer's default rate limit is folded in here too: each entry carries the key's own limit or else the
 * default, and a change of the default rewrites every key of that developer with the developer event's sequence
 * number as {@code limitsVersion}.
 */
@Component
@ProcessingGroup(ActiveKeyReplicaProjection.GROUP)
public class ActiveKeyReplicaProjection {

    public static final String GROUP = "active-key-replica";

    /** Entries a start restores in one replication round, rather than one put each. */
    private static final int RESTORE_BATCH = 20_000;
    private static final Logger log = LoggerFactory.getLogger(ActiveKeyReplicaProjection.class);

    private final ReplicaWriter writer;
    private final ReplicaSnapshot snapshot;
    private final Map<String, ReplicaKeyState> keys;
    private final Map<String, DeveloperDefault> developerDefaults = new ConcurrentHashMap<>();

    /**
     * Restores the saved states into the map before the processor starts (it is made before any processor runs), so
     * that nothing is published as caught up before the map holds them. On a warm cluster the writes wait until this
     * member's copy is complete, as every write does. The query side's HTTP comes up after it.
     */
    ActiveKeyReplicaProjection(HazelcastInstance hazelcast, ReplicaSnapshot snapshot) {
        this.writer = ReplicaWriter.of(hazelcast);
        this.snapshot = snapshot;
        long started = System.nanoTime();
        ReplicaSnapshot.Saved saved = snapshot.takeSaved();
        developerDefaults.putAll(saved.defaults());
        this.keys = saved.keys();
        if (!keys.isEmpty()) {
            int written = restore();
            log.info("Restored {} keys from the replica snapshot at position {} ({} entries written) in {} ms",
                    keys.size(), saved.position().orElse(-1), written,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
    }

    private int restore() {
        int written = 0;
        Map<KeyHash, ActiveKeyEntry> batch = new HashMap<>();
        for (Map.Entry<String, ReplicaKeyState> key : keys.entrySet()) {
            batch.putAll(entries(key.getKey(), key.getValue(), developerDefaults.get(key.getValue().developerId())));
            if (batch.size() >= RESTORE_BATCH) {
                written += writer.writeAll(batch);
                batch.clear();
            }
        }
        return written + (batch.isEmpty() ? 0 : writer.writeAll(batch));
    }

    @EventHandler
    void on(ApiKeyCreatedEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), event, sequence);
    }

    @EventHandler
    void on(ApiKeyScopesChangedEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), event, sequence);
    }

    @EventHandler
    void on(ApiKeyRotatedEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), event, sequence);
    }

    @EventHandler
    void on(ApiKeyRenewedEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), event, sequence);
    }

    @EventHandler
    void on(ApiKeyRateLimitChangedEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), event, sequence);
    }

    @EventHandler
    void on(ApiKeyQuotaChangedEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), event, sequence);
    }

    @EventHandler
    void on(ApiKeyRevokedEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), event, sequence);
    }

    @EventHandler
    void on(ApiKeyExpiredEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), event, sequence);
    }

    /**
     * A key's state after one of its events: {@code key} itself for an event it already holds (one read again), an
     * event before the key's creation or one of a type the replica does not fold; null before the key exists.
     */
    static ReplicaKeyState fold(ReplicaKeyState key, Object event, long sequence) {
        if (key == null) {
            return event instanceof ApiKeyCreatedEvent created ? ReplicaKeyState.created(created, sequence) : null;
        }
        if (sequence <= key.version()) {
            return key;
        }
        if (event instanceof ApiKeyScopesChangedEvent changed) {
            return key.withScopes(changed.scopes(), sequence);
        }
        if (event instanceof ApiKeyRotatedEvent rotated) {
            return key.rotated(rotated, sequence);
        }
        if (event instanceof ApiKeyRenewedEvent renewed) {
            return key.renewed(renewed.expiresAt(), sequence);
        }
        if (event instanceof ApiKeyRateLimitChangedEvent changed) {
            return key.withRateLimit(changed.rateLimit(), sequence);
        }
        if (event instanceof ApiKeyQuotaChangedEvent changed) {
            return key.withMonthlyQuota(changed.requestsPerMonth(), sequence);
        }
        if (event instanceof ApiKeyRevokedEvent) {
            return key.revoked(sequence);
        }
        return event instanceof ApiKeyExpiredEvent ? key.expired(sequence) : key;
    }

    /**
     * Every other event: nothing to do, but handled, so that the processor's position moves with the log. Axon Server
     * stops sending a processor the types it has no handler for, and then its position would stay at the last event
     * it handled and never reach the head {@link ReplicaCatchUpPublisher} compares it with. No parameter, so the
     * payload is not read. A key's event of a type this release does not know leaves its entries at their version, so
     * the services refuse its admin key (503) rather than admit it on a state that event may have narrowed.
     */
    @EventHandler(payloadType = Object.class)
    void onAnyOther() {
        // Moves the position only.
    }

    @EventHandler
    synchronized void on(DeveloperRateLimitChangedEvent event, @SequenceNumber long sequence) {
        DeveloperDefault current = developerDefaults.get(event.developerId());
        if (current == null || sequence > current.version()) {
            changeDefault(new DeveloperDefault(event.developerId(), event.rateLimit(), sequence));
        }
    }

    /**
     * Scans every key: default changes are rare operator actions, the keys of one developer are not indexed. Writes
     * first, remembers after, as {@link #publish}: a write that fails half-way leaves the old default remembered, so
     * the retried event does it all again.
     */
    private synchronized void changeDefault(DeveloperDefault newDefault) {
        keys.forEach((keyId, state) -> {
            if (state.developerId().equals(newDefault.developerId())) {
                write(keyId, state, newDefault);
            }
        });
        developerDefaults.put(newDefault.developerId(), newDefault);
        snapshot.defaultChanged(newDefault);
    }

    /** Synchronized with {@link #repair}, which replaces states this reads. */
    private synchronized void apply(String keyId, Object event, long sequence) {
        ReplicaKeyState current = keys.get(keyId);
        ReplicaKeyState next = fold(current, event, sequence);
        if (next != current) {
            publish(keyId, next);
        }
    }

    /**
     * Writes first, remembers after: a failed write leaves the state behind, so the retried event redoes it.
     * Synchronized with {@link #rewriteAll()} because a write reads the map before it puts: two writers of one hash
     * could otherwise put an older entry over a newer one.
     */
    private synchronized void publish(String keyId, ReplicaKeyState state) {
        write(keyId, state);
        keys.put(keyId, state);
        snapshot.keyChanged(keyId, state);
    }

    /**
     * Writes every entry this projection knows, for every secret each key ever had; entries the map already holds at
     * the same version are skipped. Returns how many were written.
     */
    synchronized int rewriteAll() {
        int written = 0;
        for (Map.Entry<String, ReplicaKeyState> key : keys.entrySet()) {
            written += write(key.getKey(), key.getValue());
        }
        return written;
    }

    /**
     * Writes the current secret's entry as the keys read model has it, when this projection has not got that far
     * (the read model can be ahead: before its first snapshot a start replays from scratch). True when it wrote.
     */
    synchronized boolean reconcile(KeyView view) {
        ReplicaKeyState known = keys.get(view.keyId());
        if (known != null && known.version() >= view.version()) {
            return false;
        }
        DeveloperDefault developerDefault = developerDefaults.get(view.developerId());
        RateLimit rateLimit = view.rateLimit() != null || developerDefault == null
                ? view.rateLimit() : developerDefault.rateLimit();
        return writer.write(new KeyHash(view.secretHash()), new ActiveKeyEntry(view.keyId(), view.developerId(),
                view.scopes(), view.expiresAt(), null, view.status(), view.version(), rateLimit,
                developerDefault == null ? 0 : developerDefault.version(),
                view.monthlyQuota() == null ? 0 : view.monthlyQuota()));
    }

    /**
     * Puts in place of what this projection folded for these developers and keys what the event log holds for them
     * now, in memory and in the map; returns how many entries it wrote. A crash of the embedded store can take back
     * events that were folded already, and the events appended after it reuse their sequence numbers, so the versions
     * alone would keep, at every edge, a state the log no longer holds (ReplicaCrashRepair). An entry is overwritten
     * whatever its version up to the newer of the state held and the one read: a later one was written by a writer
     * ahead of this one (another query side, the command side's early tombstone of a revocation appended since the
     * read), which repairs what it folded itself. A hash the log no longer gives a key (the secret of a rotation or
     * create the crash took back, never answered to anyone) is left as a REVOKED tombstone. {@code log} reads a
     * stream's events from its first. Each developer and each key under this projection's lock, which the handlers
     * take too, so no event of it is applied in between, and the processor waits for one key at a time.
     */
    int repair(Collection<String> developerIds, Collection<String> keyIds,
               Function<String, Stream<? extends DomainEventMessage<?>>> log) {
        Set<String> keysToRepair = new LinkedHashSet<>(keyIds);
        for (String developerId : developerIds) {
            repairDefault(developerId, log.apply(developerId).iterator());
            // Every key of the developer, changed default or not: a repair that failed half-way left the default
            // mended and some of its keys not.
            keys.forEach((keyId, state) -> {
                if (state.developerId().equals(developerId)) {
                    keysToRepair.add(keyId);
                }
            });
        }
        int written = 0;
        for (String keyId : keysToRepair) {
            written += repairKey(keyId, log);
        }
        return written;
    }

    /** Holds the developer's default as its events have it. */
    private synchronized void repairDefault(String developerId, Iterator<? extends DomainEventMessage<?>> events) {
        DeveloperDefault logged = null;
        while (events.hasNext()) {
            DomainEventMessage<?> event = events.next();
            if (event.getPayload() instanceof DeveloperRateLimitChangedEvent changed) {
                logged = new DeveloperDefault(developerId, changed.rateLimit(), event.getSequenceNumber());
            }
        }
        if (logged == null) {
            developerDefaults.remove(developerId);
        } else {
            developerDefaults.put(developerId, logged);
            // Touched again: a second crash may take back what this read.
            snapshot.defaultChanged(logged);
        }
    }

    /** Overwrites the key's entries with its state as its events fold; tombstones the hashes they do not give. */
    private synchronized int repairKey(String keyId, Function<String, Stream<? extends DomainEventMessage<?>>> log) {
        ReplicaKeyState logged = null;
        Iterator<? extends DomainEventMessage<?>> events = log.apply(keyId).iterator();
        while (events.hasNext()) {
            DomainEventMessage<?> event = events.next();
            logged = fold(logged, event.getPayload(), event.getSequenceNumber());
        }
        ReplicaKeyState held = keys.get(keyId);
        long upTo = Math.max(held == null ? -1 : held.version(), logged == null ? -1 : logged.version());
        Map<KeyHash, ActiveKeyEntry> entries = logged == null ? Map.of()
                : entries(keyId, logged, developerDefaults.get(logged.developerId()));
        int written = 0;
        for (Map.Entry<KeyHash, ActiveKeyEntry> entry : entries.entrySet()) {
            written += writer.overwrite(entry.getKey(), entry.getValue(), upTo) ? 1 : 0;
        }
        if (held != null) {
            for (Map.Entry<KeyHash, ActiveKeyEntry> lost : entries(keyId, held, null).entrySet()) {
                if (!entries.containsKey(lost.getKey())) {
                    written += writer.overwrite(lost.getKey(), lost.getValue().revoked(lost.getValue().version()),
                            upTo) ? 1 : 0;
                }
            }
        }
        if (logged == null) {
            keys.remove(keyId);
        } else {
            keys.put(keyId, logged);
            snapshot.keyChanged(keyId, logged);
        }
        return written;
    }

    private int write(String keyId, ReplicaKeyState state) {
        return write(keyId, state, developerDefaults.get(state.developerId()));
    }

    private int write(String keyId, ReplicaKeyState state, DeveloperDefault developerDefault) {
        int written = 0;
        for (Map.Entry<KeyHash, ActiveKeyEntry> entry : entries(keyId, state, developerDefault).entrySet()) {
            written += writer.write(entry.getKey(), entry.getValue()) ? 1 : 0;
        }
        return written;
    }

    private static Map<KeyHash, ActiveKeyEntry> entries(String keyId, ReplicaKeyState state,
                                                         DeveloperDefault developerDefault) {
        return state.entries(keyId, developerDefault == null ? null : developerDefault.rateLimit(),
                developerDefault == null ? 0 : developerDefault.version());
    }
}
