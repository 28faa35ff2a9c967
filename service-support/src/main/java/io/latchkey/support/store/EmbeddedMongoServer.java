package io.latchkey.support.store;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.h2.mvstore.MVMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MongoDB-wire server on 127.0.0.1 backed by an H2 MVStore file. The MVStore commits on its own about once a
 * second; {@link #commit()} forces it, so a caller can make a write durable before acknowledging it.
 */
public final class EmbeddedMongoServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedMongoServer.class);
    /** A map of this class's own, outside the backend's {@code databases.} names, that every commit changes. */
    private static final String COMMITS = "latchkey$commits";
    private static final String STOPPED_CLEANLY = "stoppedCleanly";
    private static final String CRASHES = "crashes";

    private final H2Backend backend;
    private final MongoServer server;
    private final MVMap<Integer, Long> commits;
    private final AtomicLong commitCount = new AtomicLong();
    /** The database holding the start marker, or null for none. */
    private String markedDatabase;

    private EmbeddedMongoServer(H2Backend backend, MongoServer server) {
        this.backend = backend;
        this.server = server;
        this.commits = backend.getMvStore().openMap(COMMITS);
    }

    public static EmbeddedMongoServer start(Path dataDir, String host, int port) {
        return start(dataDir, host, port, null);
    }

    /**
     * Serves the store in {@code dataDir}, first recording a new start id in {@code database} (none when null) for
     * {@link StoreStartAwareTokenStore}: before any client can reach the store, so that none stores a token under the
     * previous id into the restarted store. The marker also counts the crashes the store has been through
     * ({@link StoreStart#crashes}): only a crash takes back writes it had accepted.
     */
    public static EmbeddedMongoServer start(Path dataDir, String host, int port, String database) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dataDir, e);
        }
        Path file = dataDir.resolve("store.mv");
        EmbeddedMongoServer served = serve(new IndexedH2Backend(file.toString()), host, port, database);
        log.info("Embedded MongoDB-wire store serving {} on {}:{}", file, host, port);
        return served;
    }

    /** Serves {@code backend} as {@link #start} serves its file, for tests that open the store themselves. */
    static EmbeddedMongoServer serve(H2Backend backend, String host, int port, String database) {
        if (database != null) {
            MongoDatabase db = backend.resolveDatabase(database);
            MongoCollection<?> markers = db.resolveCollection(EventPositions.MARKERS, false);
            if (markers == null) {
                markers = db.createCollectionOrThrowIfExists(EventPositions.MARKERS);
            }
            Document previous = markers.handleQueryAsStream(new Document("_id", StoreStartAwareTokenStore.START))
                    .findFirst().orElse(null);
            // A new store has been through no crash. A marker that does not say its process stopped cleanly counts
            // one, a marker of a release before these fields among them (a reader of it replays once, the safe side).
            long crashes = previous == null ? 0 : ((Number) previous.getOrDefault(CRASHES, 0L)).longValue()
                    + (Boolean.TRUE.equals(previous.get(STOPPED_CLEANLY)) ? 0 : 1);
            markers.deleteDocuments(new Document("_id", StoreStartAwareTokenStore.START), 1);
            markers.insertDocuments(List.of(new Document("_id", StoreStartAwareTokenStore.START)
                    .append("id", UUID.randomUUID().toString()).append(CRASHES, crashes)));
            // On disk before any client can connect: a kill before it must not leave the old marker's clean stop.
            backend.commit();
            backend.getMvStore().sync();
        }
        EmbeddedMongoServer served = serve(backend, host, port);
        served.markedDatabase = database;
        return served;
    }

    /**
     * What the serving process recorded at the store's last start: its id, new at every start, and how many crashes
     * the store has been through (carried over a clean stop, one more after a crash). {@code ("", 0)} where there is
     * no marker, as in MongoDB.
     */
    public record StoreStart(String id, long crashes) {
    }

    /**
     * The store's last start as recorded in {@code database}, read in one query: a reader that sees the id change
     * knows the store restarted, and one that sees the crashes grow knows that it may have taken back writes of the
     * last second the reader saw accepted, and events the reader had already read.
     */
    public static StoreStart storeStart(com.mongodb.client.MongoDatabase database) {
        org.bson.Document marker = database.getCollection(EventPositions.MARKERS)
                .find(new org.bson.Document("_id", StoreStartAwareTokenStore.START)).first();
        if (marker == null) {
            return new StoreStart("", 0);
        }
        Number crashes = marker.get(CRASHES, Number.class);
        return new StoreStart(marker.getString("id"), crashes == null ? 0 : crashes.longValue());
    }

    /** Serves {@code backend}, for tests that open its store themselves. */
    static EmbeddedMongoServer serve(H2Backend backend, String host, int port) {
        MongoServer server = new MongoServer(backend);
        server.bind(host, port);
        return new EmbeddedMongoServer(backend, server);
    }

    /**
     * Writes everything accepted so far to the store file and forces the file to the disk, so that it survives the
     * process and the host. H2's background writer hands a store to threads of its own and returns: pages it has
     * taken are no longer unsaved, so a plain commit right after would find nothing to do and return before they are
     * written. A change of this class's own makes every commit store, and H2 writes stores in the order taken, so it
     * returns once the earlier store is written too.
     */
    public void commit() {
        commits.put(0, commitCount.incrementAndGet());
        backend.commit();
        backend.getMvStore().sync();
    }

    /** False once H2 has closed the store, which it does after a failed write: every later write fails too. */
    public boolean isOpen() {
        return !backend.getMvStore().isClosed();
    }

    /**
     * Stops serving; the server then closes the backend, whose store commits what it accepted as it closes, the
     * marker that says so among it. The background commits stop first, so that the marker reaches the disk only with
     * that last commit, and with everything accepted before it: a kill while closing reads as the crash it is.
     */
    @Override
    public void close() {
        try {
            if (markedDatabase != null && isOpen()) {
                backend.getMvStore().setAutoCommitDelay(0);
                MongoCollection<?> markers = backend.resolveDatabase(markedDatabase)
                        .resolveCollection(EventPositions.MARKERS, false);
                Document marker = markers == null ? null
                        : markers.handleQueryAsStream(new Document("_id", StoreStartAwareTokenStore.START))
                                .findFirst().orElse(null);
                if (marker != null) {
                    markers.deleteDocuments(new Document("_id", StoreStartAwareTokenStore.START), 1);
                    markers.insertDocuments(List.of(marker.cloneDeeply().append(STOPPED_CLEANLY, true)));
                }
            }
        } finally {
            server.shutdownNow();
        }
    }
}
