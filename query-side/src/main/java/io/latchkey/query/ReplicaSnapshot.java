package io.latchkey.query;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoException;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import io.latchkey.api.RateLimit;
import io.latchkey.support.store.EmbeddedMongoServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventhandling.tokenstore.UnableToClaimTokenException;
import org.axonframework.eventhandling.tokenstore.inmemory.InMemoryTokenStore;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.stereotype.Component;

/**
 * What the replica projection has folded, kept in MongoDB so that a start reads the event log from where it was
 * rather than from its beginning (usage reports make the log grow by millions of events a day). Every few seconds, on
 * a thread of its own, it reads the position the projection has applied every event up to, saves each key and each
 * developer default changed since, and only then the position: what is saved is never behind the position, and a
 * start that replays from it over newer states changes nothing (the projection skips events at or below a state's
 * version). The projection's token stays in memory, started from the saved position. Each format of the saved
 * states has collections of its own, so releases that fold differently never read each other's.
 *
 * <p>Durability. With MongoDB every write is acknowledged once a majority has it in its journal, so nothing
 * acknowledged is lost. The embedded store writes to disk within a second on its own, so a crash of the command side
 * that serves it can take back saves it had accepted, and events that readers had already seen: each save reads the
 * store's start id before and after. After a clean restart every state is saved again before any position; after a
 * crash the snapshot is dropped and nothing more is saved by this process (its memory may hold an event the crash
 * took back), so that the next start replays the log from its beginning, as it would have before snapshots.
 */
@Component
class ReplicaSnapshot implements AutoCloseable {

    /** What the saved states mean; it names the collections, so another format is never read. */
    static final int FORMAT = 1;
    static final String KEYS = "replica_keys_" + FORMAT;
    static final String DEVELOPERS = "replica_developers_" + FORMAT;
    static final String POSITION = "replica_position_" + FORMAT;
    private static final Duration SAVE_EVERY = Duration.ofSeconds(5);
    private static final int WRITE_BATCH = 1_000;
    private static final int LOAD_ATTEMPTS = 5;
    private static final int DUPLICATE_KEY = 11_000;
    private static final WriteConcern DURABLE = WriteConcern.MAJORITY.withJournal(true);
    private static final String POSITION_ID = ActiveKeyReplicaProjection.GROUP;
    private static final Logger log = LoggerFactory.getLogger(ReplicaSnapshot.class);

    private final MongoTemplate mongo;
    private final InMemoryTokenStore tokens = new InMemoryTokenStore();
    /** Changed since their last save, the newest state of each; a save removes only the state it saved. */
    private final Map<String, ReplicaKeyState> changedKeys = new ConcurrentHashMap<>();
    private final Map<String, SavedDefault> changedDefaults = new ConcurrentHashMap<>();
    private final ScheduledExecutorService saver;
    /** What a start read, until the projection takes it; no save runs before. */
    private Saved saved;
    /** Marks every state the projection holds as changed, for a save after the store restarted. */
    private volatile Runnable everythingChanged = () -> { };
    /** The store's start id at the last save (or load), and the position last written. */
    private String savedUnder;
    private long savedPosition;
    /** Set after a crash of the embedded store: this process saves nothing more. */
    private boolean dropped;

    /** A key's state as saved; {@code version} is the state's, which a save only ever raises. */
    @org.springframework.data.mongodb.core.mapping.Document(KEYS)
    record SavedKey(@Id String keyId, ReplicaKeyState state, long version) {
    }

    /** A developer's default rate limit (null: none) and the sequence number of the event that set it. */
    @org.springframework.data.mongodb.core.mapping.Document(DEVELOPERS)
    record SavedDefault(@Id String developerId, RateLimit rateLimit, long version) {
    }

    /** What a start reads: the position, or none, and the states, which hold every event up to it. */
    record Saved(OptionalLong position, Map<String, ReplicaKeyState> keys, Map<String, SavedDefault> defaults) {
    }

    ReplicaSnapshot(MongoTemplate mongo) {
        this.mongo = mongo;
        this.saved = load();
        saved.position().ifPresent(position -> tokens.initializeTokenSegments(ActiveKeyReplicaProjection.GROUP, 1,
                new GlobalSequenceTrackingToken(position)));
        this.savedPosition = saved.position().orElse(-1);
        // Its own thread: Spring's scheduler thread runs the replica's caught-up publisher, which must not wait.
        this.saver = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "latchkey-replica-snapshot");
            thread.setDaemon(true);
            return thread;
        });
        saver.scheduleWithFixedDelay(this::saveQuietly, SAVE_EVERY.toMillis(), SAVE_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * The position, then the states, read again should the store restart in between (its restart may take back
     * saves the first read saw). Without a position no state is read: states saved before a first position, or left
     * by a snapshot dropped after a crash, are not known to hold anything.
     */
    private Saved load() {
        for (int attempt = 1; ; attempt++) {
            try {
                String start = EmbeddedMongoServer.startId(mongo.getDb());
                OptionalLong position = position();
                Map<String, ReplicaKeyState> keys = new ConcurrentHashMap<>();
                Map<String, SavedDefault> defaults = new ConcurrentHashMap<>();
                if (position.isPresent()) {
                    try (Stream<SavedKey> states = mongo.stream(new Query(), SavedKey.class)) {
                        states.forEach(key -> keys.put(key.keyId(), key.state()));
                    }
                    mongo.findAll(SavedDefault.class).forEach(one -> defaults.put(one.developerId(), one));
                }
                if (start.equals(EmbeddedMongoServer.startId(mongo.getDb()))) {
                    savedUnder = start;
                    return new Saved(position, keys, defaults);
                }
            } catch (MongoException e) {
                if (attempt == LOAD_ATTEMPTS) {
                    throw e;
                }
                log.warn("Could not read the replica snapshot (attempt {} of {}); reading it again", attempt,
                        LOAD_ATTEMPTS, e);
            }
        }
    }

    /** What the start read, once; saves begin after it is taken. */
    synchronized Saved takeSaved() {
        Saved taken = Objects.requireNonNull(saved, "already taken");
        saved = null;
        return taken;
    }

    /** {@code everythingChanged} marks every state the projection holds as changed. */
    void onRestart(Runnable everythingChanged) {
        this.everythingChanged = everythingChanged;
    }

    /** The replica processor's token store, holding the saved position when there is one (else it starts afresh). */
    TokenStore tokenStore() {
        return tokens;
    }

    /** The position the saved states hold every event up to; empty before the first save. */
    OptionalLong position() {
        Document position = mongo.getCollection(POSITION).find(new Document("_id", POSITION_ID)).first();
        return position == null ? OptionalLong.empty()
                : OptionalLong.of(position.get("position", Number.class).longValue());
    }

    /** Keeps the newer of two changes of one key: the saver may mark a state while the processor changes it. */
    void keyChanged(String keyId, ReplicaKeyState state) {
        changedKeys.merge(keyId, state, (held, offered) -> offered.version() >= held.version() ? offered : held);
    }

    void defaultChanged(String developerId, RateLimit rateLimit, long version) {
        changedDefaults.merge(developerId, new SavedDefault(developerId, rateLimit, version),
                (held, offered) -> offered.version() >= held.version() ? offered : held);
    }

    /**
     * Saves what changed and then the position read before it. The projection remembers a state before its event's
     * position is stored, so every change up to that position is among those saved here. Synchronized: the last save
     * on the way down may meet one still running.
     */
    synchronized void save() {
        if (saved != null || dropped) {
            return;
        }
        String start = EmbeddedMongoServer.startId(mongo.getDb());
        if (!start.equals(savedUnder)) {
            if (!EmbeddedMongoServer.startedAfterCleanStop(mongo.getDb())) {
                drop();
                return;
            }
            // A clean restart: the store committed what it accepted, but a save may have met its stop half-way.
            everythingChanged.run();
            savedPosition = -1;
        }
        OptionalLong applied = applied();
        saveChanged(changedKeys, KEYS, (keyId, state) -> new SavedKey(keyId, state, state.version()),
                ReplicaKeyState::version);
        saveChanged(changedDefaults, DEVELOPERS, (developerId, one) -> one, SavedDefault::version);
        if (!start.equals(EmbeddedMongoServer.startId(mongo.getDb()))) {
            // Restarted while saving: no position across it; the next save sees the restart.
            return;
        }
        savedUnder = start;
        if (applied.isPresent() && applied.getAsLong() != savedPosition) {
            MongoCollection<Document> position = mongo.getCollection(POSITION).withWriteConcern(DURABLE);
            position.replaceOne(new Document("_id", POSITION_ID),
                    new Document("_id", POSITION_ID).append("position", applied.getAsLong()),
                    new ReplaceOptions().upsert(true));
            if (!start.equals(EmbeddedMongoServer.startId(mongo.getDb()))) {
                // The write reached a store that restarted after the check: take it back.
                position.deleteOne(new Document("_id", POSITION_ID));
                return;
            }
            savedPosition = applied.getAsLong();
        }
    }

    /**
     * Writes each changed state over an older one only, a batch at a time, each write durable when acknowledged;
     * a state the store holds at its version or later already is left (its upsert meets the id: duplicate key).
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
        try {
            mongo.getCollection(collection).withWriteConcern(DURABLE).bulkWrite(writes,
                    new BulkWriteOptions().ordered(false));
        } catch (MongoBulkWriteException e) {
            if (e.getWriteConcernError() != null
                    || e.getWriteErrors().stream().anyMatch(error -> error.getCode() != DUPLICATE_KEY)) {
                throw e;
            }
        }
        batch.forEach(entry -> changed.remove(entry.getKey(), entry.getValue()));
    }

    /** After a crash of the embedded store: the next start replays the log from its beginning. */
    private void drop() {
        dropped = true;
        Stream.of(POSITION, KEYS, DEVELOPERS).forEach(mongo::dropCollection);
        changedKeys.clear();
        changedDefaults.clear();
        log.warn("The embedded store restarted after a crash, which may have taken back events this query side had "
                + "already folded: its replica snapshot is dropped and no more is saved until it restarts, which "
                + "then replays the event log from its beginning");
    }

    private OptionalLong applied() {
        try {
            TrackingToken token = tokens.fetchToken(ActiveKeyReplicaProjection.GROUP, 0);
            return token == null ? OptionalLong.empty() : token.position();
        } catch (UnableToClaimTokenException notStarted) {
            return OptionalLong.empty();
        }
    }

    private void saveQuietly() {
        try {
            save();
        } catch (RuntimeException e) {
            if (!saver.isShutdown()) {
                log.warn("Could not save the replica snapshot; the next save tries again", e);
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
