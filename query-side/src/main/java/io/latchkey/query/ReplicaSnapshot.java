package io.latchkey.query;

import com.mongodb.WriteConcern;
import com.mongodb.client.model.ReplaceOptions;
import io.latchkey.api.RateLimit;
import io.latchkey.support.store.EmbeddedMongoServer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 * version). The projection's token stays in memory, started from the saved position.
 *
 * <p>The embedded store writes to disk within a second on its own, so a crash of the command side that serves it can
 * take back saves it had accepted. Each save reads the store's start id first and again before the position: a store
 * that restarted since the last save gets every state again, and a position is never written across a restart. With
 * MongoDB the position is written journaled, which also makes the states written before it durable.
 */
@Component
class ReplicaSnapshot implements AutoCloseable {

    /** What the saved states mean; a snapshot of another format is dropped, and the log replayed from its start. */
    static final int FORMAT = 1;
    private static final Duration SAVE_EVERY = Duration.ofSeconds(5);
    private static final String KEYS = "replica_keys";
    private static final String DEVELOPERS = "replica_developers";
    private static final String POSITION = "replica_position";
    private static final String POSITION_ID = ActiveKeyReplicaProjection.GROUP;
    private static final Logger log = LoggerFactory.getLogger(ReplicaSnapshot.class);

    private final MongoTemplate mongo;
    private final InMemoryTokenStore tokens = new InMemoryTokenStore();
    /** Changed since their last save, the newest state of each; a save removes only the state it saved. */
    private final Map<String, ReplicaKeyState> changedKeys = new ConcurrentHashMap<>();
    private final Map<String, SavedDefault> changedDefaults = new ConcurrentHashMap<>();
    private final ScheduledExecutorService saver;
    /** What a start read, until the projection takes it. */
    private Saved saved;
    /** Marks every state the projection holds as changed; set when the projection takes what was saved. */
    private volatile Runnable everythingChanged = () -> { };
    /** The store's start id at the last save (or load), and the position last written. */
    private String savedUnder;
    private long savedPosition;

    /** A key's state as saved; {@code version} is the state's, for {@link VersionedViews}. */
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
     * saves the first read saw). A snapshot of another format is dropped.
     */
    private Saved load() {
        while (true) {
            String start = EmbeddedMongoServer.startId(mongo.getDb());
            Document position = mongo.getCollection(POSITION).find(new Document("_id", POSITION_ID)).first();
            if (position != null && !Objects.equals(position.getInteger("format"), FORMAT)) {
                log.info("Dropping a replica snapshot of another format; the log is replayed from its start");
                Stream.of(KEYS, DEVELOPERS, POSITION).forEach(mongo::dropCollection);
                continue;
            }
            Map<String, ReplicaKeyState> keys = new ConcurrentHashMap<>();
            try (Stream<SavedKey> states = mongo.stream(new Query(), SavedKey.class)) {
                states.forEach(key -> keys.put(key.keyId(), key.state()));
            }
            Map<String, SavedDefault> defaults = new ConcurrentHashMap<>();
            mongo.findAll(SavedDefault.class).forEach(one -> defaults.put(one.developerId(), one));
            if (start.equals(EmbeddedMongoServer.startId(mongo.getDb()))) {
                savedUnder = start;
                return new Saved(position == null ? OptionalLong.empty()
                        : OptionalLong.of(position.getLong("position")), keys, defaults);
            }
        }
    }

    /**
     * What the start read, once; {@code everythingChanged} marks every state the projection then holds as changed,
     * for a save after the store restarted.
     */
    synchronized Saved takeSaved(Runnable everythingChanged) {
        Saved taken = Objects.requireNonNull(saved, "already taken");
        saved = null;
        this.everythingChanged = everythingChanged;
        return taken;
    }

    /** The replica processor's token store, holding the saved position when there is one (else it starts afresh). */
    TokenStore tokenStore() {
        return tokens;
    }

    /** The position the saved states hold every event up to; empty before the first save. */
    OptionalLong position() {
        Document position = mongo.getCollection(POSITION).find(new Document("_id", POSITION_ID)).first();
        return position == null ? OptionalLong.empty() : OptionalLong.of(position.getLong("position"));
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
        String start = EmbeddedMongoServer.startId(mongo.getDb());
        if (!start.equals(savedUnder)) {
            // The store restarted: what was saved in its last second may be gone, so everything is saved again.
            everythingChanged.run();
        }
        OptionalLong applied = applied();
        for (Map.Entry<String, ReplicaKeyState> changed : Map.copyOf(changedKeys).entrySet()) {
            ReplicaKeyState state = changed.getValue();
            VersionedViews.saveIfNewer(mongo, changed.getKey(), state.version(),
                    new SavedKey(changed.getKey(), state, state.version()));
            changedKeys.remove(changed.getKey(), state);
        }
        for (SavedDefault changed : Map.copyOf(changedDefaults).values()) {
            VersionedViews.saveIfNewer(mongo, changed.developerId(), changed.version(), changed);
            changedDefaults.remove(changed.developerId(), changed);
        }
        if (!start.equals(EmbeddedMongoServer.startId(mongo.getDb()))) {
            // Restarted while saving: no position across it; the next save saves everything again.
            return;
        }
        savedUnder = start;
        if (applied.isPresent() && applied.getAsLong() != savedPosition) {
            mongo.getCollection(POSITION).withWriteConcern(WriteConcern.JOURNALED).replaceOne(
                    new Document("_id", POSITION_ID),
                    new Document("_id", POSITION_ID).append("position", applied.getAsLong()).append("format", FORMAT),
                    new ReplaceOptions().upsert(true));
            savedPosition = applied.getAsLong();
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
            saver.awaitTermination(10, TimeUnit.SECONDS);
            save();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("Could not save the replica snapshot on shutdown; the next start replays from the last one", e);
        }
    }
}
