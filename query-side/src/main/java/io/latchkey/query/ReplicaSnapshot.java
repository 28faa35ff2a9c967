package io.latchkey.query;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoException;
import com.mongodb.WriteConcern;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import io.latchkey.api.RateLimit;
import io.latchkey.support.store.StoreStart;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.BinaryOperator;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventhandling.tokenstore.UnableToClaimTokenException;
import org.axonframework.eventhandling.tokenstore.inmemory.InMemoryTokenStore;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.stereotype.Component;

/**
 * What the replica projection has folded, kept in MongoDB so that a start reads the event log from where it was
 * rather than from its beginning (usage reports make the log grow by millions of events a day). Every few seconds, on
 * a thread of its own, it reads the position the projection has applied every event up to, saves each key and each
 * developer default changed since, and only then the position: what is saved is never behind the position, and a
 * start that replays from it over newer states changes nothing (the projection skips events at or below a state's
 * version). The projection's token stays in memory, started from the saved position.
 *
 * <p>The collections are named by the snapshot's format and by the crashes the embedded store has been through
 * ({@link StoreStart#crashes}). A crash takes back what the store accepted in its last second,
 * saves and events that readers had already folded alike, so a snapshot saved before it, or by a query side that
 * ran through it, is never read again: a query side that sees the count grow saves no more, and the next start finds
 * no snapshot of the new count and replays the log from its beginning, as every start did before snapshots. A clean
 * stop commits everything it accepted, so the count, and the snapshot, carry over. With MongoDB (no marker, no
 * crashes counted) every write is acknowledged once a majority has it in its journal, and a state's save is
 * forgotten only then.
 */
@Component
class ReplicaSnapshot implements AutoCloseable {

    /**
     * What the saved states mean; it names the collections, so another format is never read. 2 (2026-12-05): a secret
     * rotated out ends no later than the key's expiry at the rotation, where states of 1 kept the grace's own end.
     * 3 (2026-12-07): nor later than any expiry a renewal replaced since, which states of 2 did not fold.
     */
    static final int FORMAT = 3;
    private static final String PREFIX = "replica_" + FORMAT + "_";
    private static final Pattern COLLECTION = Pattern.compile(PREFIX + "(\\d{1,18})_(keys|developers|position)");
    private static final Duration SAVE_EVERY = Duration.ofSeconds(5);
    private static final int WRITE_BATCH = 1_000;
    private static final int LOAD_ATTEMPTS = 5;
    private static final int DUPLICATE_KEY = 11_000;
    private static final WriteConcern DURABLE = WriteConcern.MAJORITY.withJournal(true)
            .withWTimeout(30, TimeUnit.SECONDS);
    private static final String POSITION_ID = ActiveKeyReplicaProjection.GROUP;
    private static final Logger log = LoggerFactory.getLogger(ReplicaSnapshot.class);

    private final MongoTemplate mongo;
    private final InMemoryTokenStore tokens = new InMemoryTokenStore();
    /** Changed since their last save, the newest state of each; a save removes only the state it saved. */
    private final Map<String, ReplicaKeyState> changedKeys = new ConcurrentHashMap<>();
    private final Map<String, DeveloperDefault> changedDefaults = new ConcurrentHashMap<>();
    private final ScheduledExecutorService saver;
    /** What the saves fail with since the last one that succeeded: only the saver's thread reads and writes it. */
    private Class<?> failingWith;
    /** The store's crashes when this snapshot was read; its collections are named by them. */
    private long crashes;
    /** What a start read, until the projection takes it; no save runs before. */
    private Saved saved;
    private long savedPosition;
    /** Set once the store's crashes grew: this process saves nothing more. */
    private volatile boolean stopped;
    /** The store's crashes as the last save read them. */
    private long crashesSeen;
    private final Touched touchedKeys = new Touched();
    private final Touched touchedDevelopers = new Touched();
    /** Touched before a crash this process saw, until a repair of them succeeds; guarded by this. */
    private final Set<String> suspectKeys = new HashSet<>();
    private final Set<String> suspectDevelopers = new HashSet<>();
    private CrashRepair crashRepair = (developerIds, keyIds) -> 0;

    /**
     * Ids changed since a save last read the crashes, and in the period before: a crash takes back what the store
     * accepted in its last second, so what it may have taken back is among them.
     */
    private static final class Touched {

        private volatile Set<String> now = ConcurrentHashMap.newKeySet();
        private volatile Set<String> before = Set.of();

        void add(String id) {
            now.add(id);
        }

        /** Adds the ids of both periods to {@code suspects}. */
        void addTo(Set<String> suspects) {
            suspects.addAll(before);
            suspects.addAll(now);
        }

        /** A save read the crashes: a new period begins. */
        void turn() {
            before = now;
            now = ConcurrentHashMap.newKeySet();
        }
    }

    /** Puts what the event log now holds for these developers and keys into the replica; returns entries written. */
    @FunctionalInterface
    interface CrashRepair {
        int repair(Set<String> developerIds, Set<String> keyIds);
    }

    /** A key's state as saved; {@code version} is the state's, which a save only ever raises. */
    record SavedKey(@Id String keyId, ReplicaKeyState state, long version) {
    }

    /**
     * A developer's default rate limit (null: none) and the sequence number of the event that set it, as the
     * projection holds it and as it is saved.
     */
    record DeveloperDefault(@Id String developerId, RateLimit rateLimit, long version) {
    }

    /**
     * What a start reads: the position, or none, and the states, which hold every event up to it; {@code keys} is
     * concurrent, for the projection to go on with as its own.
     */
    record Saved(OptionalLong position, ConcurrentHashMap<String, ReplicaKeyState> keys,
                 Map<String, DeveloperDefault> defaults) {
    }

    ReplicaSnapshot(MongoTemplate mongo) {
        this.mongo = mongo;
        this.saved = load();
        saved.position().ifPresent(position -> tokens.initializeTokenSegments(ActiveKeyReplicaProjection.GROUP, 1,
                new GlobalSequenceTrackingToken(position)));
        this.savedPosition = saved.position().orElse(-1);
        this.crashesSeen = crashes;
        // Its own thread: Spring's scheduler thread runs the replica's caught-up publisher, which must not wait.
        this.saver = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "latchkey-replica-snapshot");
            thread.setDaemon(true);
            return thread;
        });
        saver.scheduleWithFixedDelay(this::saveQuietly, SAVE_EVERY.toMillis(), SAVE_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    static String keys(long crashes) {
        return PREFIX + crashes + "_keys";
    }

    static String developers(long crashes) {
        return PREFIX + crashes + "_developers";
    }

    static String position(long crashes) {
        return PREFIX + crashes + "_position";
    }

    /**
     * The position, then the states, of the store's current crash count, read again should a crash come in between.
     * Without a position no state is read: states saved before a first position are not known to hold anything.
     * Snapshots of earlier counts are dropped: nothing reads them again.
     */
    private Saved load() {
        for (int attempt = 1; ; attempt++) {
            try {
                long before = StoreStart.of(mongo.getDb()).crashes();
                crashes = before;
                OptionalLong position = position();
                ConcurrentHashMap<String, ReplicaKeyState> keys = new ConcurrentHashMap<>();
                Map<String, DeveloperDefault> defaults = new ConcurrentHashMap<>();
                if (position.isPresent()) {
                    IdPages.forEach(mongo, keys(before), SavedKey.class, SavedKey::keyId, IdPages.PAGE,
                            key -> keys.put(key.keyId(), key.state()));
                    IdPages.forEach(mongo, developers(before), DeveloperDefault.class, DeveloperDefault::developerId,
                            IdPages.PAGE, one -> defaults.put(one.developerId(), one));
                }
                if (StoreStart.of(mongo.getDb()).crashes() == before) {
                    dropEarlierThan(before);
                    return new Saved(position, keys, defaults);
                }
            } catch (MongoException | DataAccessException e) {
                log.warn("Could not read the replica snapshot (attempt {} of {})", attempt, LOAD_ATTEMPTS, e);
            }
            if (attempt >= LOAD_ATTEMPTS) {
                throw new IllegalStateException("The replica snapshot could not be read in " + LOAD_ATTEMPTS
                        + " attempts (the store kept failing or crashing)");
            }
            try {
                Thread.sleep(200L * attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading the replica snapshot", e);
            }
        }
    }

    /**
     * Earlier counts' snapshots: nothing reads them again. A later count's is left: this start may have read its
     * count before a crash, and another query side may be saving under the new one.
     */
    private void dropEarlierThan(long current) {
        for (String name : mongo.getCollectionNames()) {
            Matcher snapshot = COLLECTION.matcher(name);
            if (snapshot.matches() && Long.parseLong(snapshot.group(1)) < current) {
                mongo.dropCollection(name);
            }
        }
    }

    /** What the start read, once; saves begin after it is taken. */
    synchronized Saved takeSaved() {
        Saved taken = Objects.requireNonNull(saved, "already taken");
        saved = null;
        return taken;
    }

    /** The replica processor's token store, holding the saved position when there is one (else it starts afresh). */
    TokenStore tokenStore() {
        return tokens;
    }

    /** The saved position this snapshot's collections hold every event up to; empty before the first save. */
    OptionalLong position() {
        Document position = mongo.getCollection(position(crashes)).find(new Document("_id", POSITION_ID)).first();
        return position == null ? OptionalLong.empty()
                : OptionalLong.of(position.get("position", Number.class).longValue());
    }

    /**
     * What a save does once it sees the store's crashes grow: repair what this process changed in the seconds before,
     * which the crash may have taken back. Until it is given, nothing is repaired.
     */
    synchronized void onStoreCrash(CrashRepair repair) {
        this.crashRepair = repair;
    }

    void keyChanged(String keyId, ReplicaKeyState state) {
        touchedKeys.add(keyId);
        if (!stopped) {
            changedKeys.merge(keyId, state, newer(ReplicaKeyState::version));
        }
    }

    void defaultChanged(DeveloperDefault changed) {
        touchedDevelopers.add(changed.developerId());
        if (!stopped) {
            changedDefaults.merge(changed.developerId(), changed, newer(DeveloperDefault::version));
        }
    }

    /** Keeps the newer of two changes of one state: the saver may meet a change the processor is making. */
    private static <T> BinaryOperator<T> newer(ToLongFunction<T> version) {
        return (held, offered) -> version.applyAsLong(offered) >= version.applyAsLong(held) ? offered : held;
    }

    /**
     * Saves what changed and then the position read before it. The projection remembers a state before its event's
     * position is stored, so every change up to that position is among those saved here. Synchronized: the last save
     * on the way down may meet one still running. What this writes after a crash it has not seen yet goes into
     * collections no start reads again.
     */
    synchronized void save() {
        if (saved != null) {
            return;
        }
        long seen = StoreStart.of(mongo.getDb()).crashes();
        if (seen != crashesSeen) {
            crashesSeen = seen;
            touchedKeys.addTo(suspectKeys);
            touchedDevelopers.addTo(suspectDevelopers);
            if (!stopped) {
                stopped = true;
                changedKeys.clear();
                changedDefaults.clear();
                log.warn("The embedded store crashed, which may have taken back events this query side had already "
                        + "folded: it saves no more replica snapshot, and its next start replays the event log");
            }
        }
        touchedKeys.turn();
        touchedDevelopers.turn();
        repairSuspects();
        if (stopped) {
            return;
        }
        OptionalLong applied = applied();
        saveChanged(changedKeys, keys(crashes), (keyId, state) -> new SavedKey(keyId, state, state.version()),
                ReplicaKeyState::version);
        saveChanged(changedDefaults, developers(crashes), (developerId, one) -> one, DeveloperDefault::version);
        if (applied.isPresent() && applied.getAsLong() != savedPosition) {
            mongo.getCollection(position(crashes)).withWriteConcern(DURABLE).replaceOne(
                    new Document("_id", POSITION_ID),
                    new Document("_id", POSITION_ID).append("position", applied.getAsLong()),
                    new ReplaceOptions().upsert(true));
            savedPosition = applied.getAsLong();
        }
    }

    /**
     * Reads again from the event log what this process changed before a crash it saw, and puts it into the replica;
     * what fails (the store away again) is tried at the next save.
     */
    private void repairSuspects() {
        if (suspectKeys.isEmpty() && suspectDevelopers.isEmpty()) {
            return;
        }
        int written = crashRepair.repair(Set.copyOf(suspectDevelopers), Set.copyOf(suspectKeys));
        log.info("Read {} keys and {} developers changed before the embedded store's crash again from the event log: "
                + "{} replica entries differed from it and were rewritten", suspectKeys.size(),
                suspectDevelopers.size(), written);
        suspectKeys.clear();
        suspectDevelopers.clear();
    }

    /**
     * Writes each changed state over an older one only, a batch at a time, each write durable when acknowledged. An
     * upsert that meets the id (duplicate key) found the state there, at its version or later; with MongoDB two
     * upserts of one new id may also meet each other, so those are tried once more, when the id exists.
     */
    private <T> void saveChanged(Map<String, T> changed, String collection, BiFunction<String, T, Object> saved,
                                 ToLongFunction<T> version) {
        List<Map.Entry<String, T>> batch = new ArrayList<>(WRITE_BATCH);
        for (Map.Entry<String, T> entry : changed.entrySet()) {
            batch.add(Map.entry(entry.getKey(), entry.getValue()));
            if (batch.size() == WRITE_BATCH) {
                write(batch, changed, collection, saved, version);
                batch.clear();
            }
        }
        if (!batch.isEmpty()) {
            write(batch, changed, collection, saved, version);
        }
    }

    private <T> void write(List<Map.Entry<String, T>> batch, Map<String, T> changed, String collection,
                           BiFunction<String, T, Object> saved, ToLongFunction<T> version) {
        List<ReplaceOneModel<Document>> writes = new ArrayList<>(batch.size());
        for (Map.Entry<String, T> entry : batch) {
            Document document = new Document();
            mongo.getConverter().write(saved.apply(entry.getKey(), entry.getValue()), document);
            writes.add(new ReplaceOneModel<>(Filters.and(Filters.eq("_id", entry.getKey()),
                    Filters.lt("version", version.applyAsLong(entry.getValue()))), document,
                    new ReplaceOptions().upsert(true)));
        }
        List<ReplaceOneModel<Document>> again = bulk(collection, writes);
        if (!again.isEmpty() && !bulk(collection, again).isEmpty()) {
            // A second duplicate key: the id exists, at this version or later.
            log.debug("{} states of {} were saved newer already", again.size(), collection);
        }
        batch.forEach(entry -> changed.remove(entry.getKey(), entry.getValue()));
    }

    /** The writes whose upsert met a duplicate key; any other failure is thrown. */
    private List<ReplaceOneModel<Document>> bulk(String collection, List<ReplaceOneModel<Document>> writes) {
        try {
            mongo.getCollection(collection).withWriteConcern(DURABLE).bulkWrite(writes,
                    new BulkWriteOptions().ordered(false));
            return List.of();
        } catch (MongoBulkWriteException e) {
            if (e.getWriteConcernError() != null
                    || e.getWriteErrors().stream().anyMatch(error -> error.getCode() != DUPLICATE_KEY)) {
                throw e;
            }
            return e.getWriteErrors().stream().map(error -> writes.get(error.getIndex())).toList();
        }
    }

    private OptionalLong applied() {
        try {
            TrackingToken token = tokens.fetchToken(ActiveKeyReplicaProjection.GROUP, 0);
            return token == null ? OptionalLong.empty() : token.position();
        } catch (UnableToClaimTokenException notStarted) {
            return OptionalLong.empty();
        }
    }

    /**
     * A failed save is logged when saves begin to fail or fail otherwise, and once when one succeeds again: while the
     * store is away, every save fails, and a stack trace each time would bury the line that says why. The store's own
     * failures (a MongoDB exception: unreachable, timed out) are named without their trace.
     */
    private void saveQuietly() {
        try {
            save();
            if (failingWith != null && !stopped) {
                log.info("The replica snapshot is saved again");
            }
            failingWith = null;
        } catch (RuntimeException e) {
            if (saver.isShutdown() || e.getClass().equals(failingWith)) {
                return;
            }
            failingWith = e.getClass();
            if (e instanceof MongoException) {
                log.warn("Could not save the replica snapshot ({}: {}); saves go on trying, and the next start "
                        + "replays the log from the last one saved", e.getClass().getSimpleName(), e.getMessage());
            } else {
                log.warn("Could not save the replica snapshot; saves go on trying, and the next start replays the "
                        + "log from the last one saved", e);
            }
        }
    }

    /** Saves once more on the way down, so that a graceful restart reads as little of the log as it can. */
    @Override
    public void close() {
        saver.shutdown();
        try {
            if (!saver.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("A replica snapshot save is still running; the next start replays from the last one saved");
                return;
            }
            save();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("Interrupted before the last replica snapshot save; the next start replays from the last one");
        } catch (RuntimeException e) {
            log.warn("Could not save the replica snapshot on shutdown; the next start replays from the last one", e);
        }
    }
}
