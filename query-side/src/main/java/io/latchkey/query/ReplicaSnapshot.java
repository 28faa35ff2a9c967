package io.latchkey.query;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import io.latchkey.api.RateLimit;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.FindAndReplaceOptions;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.mapping.Document;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.stereotype.Component;

/**
 * What the replica projection has folded, kept in MongoDB so that a start reads the event log from where it was
 * rather than from its beginning (usage reports make the log grow by millions of events a day). Every few seconds, on
 * a thread of its own, it reads the position the projection has applied every event up to, saves each key and each
 * developer default changed since, and only then the position: what is saved is never behind the position, and a
 * start that replays from it over newer states changes nothing (the projection skips events at or below a state's
 * version). The projection's token stays in memory, started from the saved position; a start restores the saved
 * states into the map, which is memory-only, before the processor runs.
 */
@Component
class ReplicaSnapshot implements AutoCloseable {

    static final Duration SAVE_EVERY = Duration.ofSeconds(5);
    private static final String POSITION_ID = ActiveKeyReplicaProjection.GROUP;
    private static final Logger log = LoggerFactory.getLogger(ReplicaSnapshot.class);

    private final MongoTemplate mongo;
    private final InMemoryTokenStore tokens = new InMemoryTokenStore();
    /** Changed since their last save, the latest state of each; a save removes only the state it saved. */
    private final Map<String, ReplicaKeyState> changedKeys = new ConcurrentHashMap<>();
    private final Map<String, SavedDefault> changedDefaults = new ConcurrentHashMap<>();
    private final ScheduledExecutorService saver;
    /** The saved position the processor starts from, read before the projection reads the saved states. */
    private final OptionalLong startPosition;

    /** A key's state as saved; {@code version} is the state's, for {@link VersionedViews}. */
    @Document("replica_keys")
    record SavedKey(@Id String keyId, ReplicaKeyState state, long version) {
    }

    /** A developer's default rate limit (null: none) and the sequence number of the event that set it. */
    @Document("replica_developers")
    record SavedDefault(@Id String developerId, RateLimit rateLimit, long version) {
    }

    /** Every event up to {@code position} is in the saved states. */
    @Document("replica_position")
    record SavedPosition(@Id String id, long position) {
    }

    /**
     * Reads the position before the projection reads the states (it is made with this): another query side saving
     * meanwhile saves its states before its position, so the states read are never behind the position read.
     */
    ReplicaSnapshot(MongoTemplate mongo) {
        this.mongo = mongo;
        this.startPosition = position();
        if (startPosition.isPresent()) {
            tokens.initializeTokenSegments(ActiveKeyReplicaProjection.GROUP, 1,
                    new GlobalSequenceTrackingToken(startPosition.getAsLong()));
        }
        // Its own thread: Spring's scheduler thread runs the replica's caught-up publisher, which must not wait.
        this.saver = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "latchkey-replica-snapshot");
            thread.setDaemon(true);
            return thread;
        });
        saver.scheduleWithFixedDelay(this::saveQuietly, SAVE_EVERY.toMillis(), SAVE_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** The replica processor's token store, holding the saved position when there is one (else it starts afresh). */
    TokenStore tokenStore() {
        return tokens;
    }

    OptionalLong startPosition() {
        return startPosition;
    }

    /** The position the saved states hold every event up to; empty before the first save. */
    OptionalLong position() {
        SavedPosition saved = mongo.findById(POSITION_ID, SavedPosition.class);
        return saved == null ? OptionalLong.empty() : OptionalLong.of(saved.position());
    }

    Map<String, ReplicaKeyState> savedKeys() {
        Map<String, ReplicaKeyState> keys = new HashMap<>();
        try (Stream<SavedKey> saved = mongo.stream(new Query(), SavedKey.class)) {
            saved.forEach(key -> keys.put(key.keyId(), key.state()));
        }
        return keys;
    }

    Map<String, SavedDefault> savedDefaults() {
        Map<String, SavedDefault> defaults = new HashMap<>();
        mongo.findAll(SavedDefault.class).forEach(saved -> defaults.put(saved.developerId(), saved));
        return defaults;
    }

    void keyChanged(String keyId, ReplicaKeyState state) {
        changedKeys.put(keyId, state);
    }

    void defaultChanged(String developerId, RateLimit rateLimit, long version) {
        changedDefaults.put(developerId, new SavedDefault(developerId, rateLimit, version));
    }

    /**
     * Saves what changed and then the position read before it. The projection remembers a state before its event's
     * position is stored, so every change up to that position is among those saved here.
     */
    void save() {
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
        if (applied.isPresent()) {
            mongo.findAndReplace(query(where("_id").is(POSITION_ID)),
                    new SavedPosition(POSITION_ID, applied.getAsLong()), FindAndReplaceOptions.options().upsert());
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
        saver.shutdownNow();
        try {
            save();
        } catch (RuntimeException e) {
            log.warn("Could not save the replica snapshot on shutdown; the next start replays from the last one", e);
        }
    }
}
