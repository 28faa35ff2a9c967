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

    private final H2Backend backend;
    private final MongoServer server;
    private final MVMap<Integer, Long> commits;
    private final AtomicLong commitCount = new AtomicLong();

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
     * previous id into the restarted store.
     */
    public static EmbeddedMongoServer start(Path dataDir, String host, int port, String database) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dataDir, e);
        }
        Path file = dataDir.resolve("store.mv");
        H2Backend backend = new IndexedH2Backend(file.toString());
        if (database != null) {
            MongoDatabase db = backend.resolveDatabase(database);
            MongoCollection<?> markers = db.resolveCollection(EventPositions.MARKERS, false);
            if (markers == null) {
                markers = db.createCollectionOrThrowIfExists(EventPositions.MARKERS);
            }
            markers.deleteDocuments(new Document("_id", StoreStartAwareTokenStore.START), 1);
            markers.insertDocuments(List.of(new Document("_id", StoreStartAwareTokenStore.START)
                    .append("id", UUID.randomUUID().toString())));
        }
        EmbeddedMongoServer served = serve(backend, host, port);
        served.commit();
        log.info("Embedded MongoDB-wire store serving {} on {}:{}", file, host, port);
        return served;
    }

    /**
     * The id the serving process recorded at its last start in {@code database} ("" for none): a reader that sees it
     * change knows the store restarted, and may have taken back writes of the last second it saw accepted.
     */
    public static String startId(com.mongodb.client.MongoDatabase database) {
        org.bson.Document marker = database.getCollection(EventPositions.MARKERS)
                .find(new org.bson.Document("_id", StoreStartAwareTokenStore.START)).first();
        return marker == null ? "" : marker.getString("id");
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

    /** Stops serving; the server then closes the backend, whose store commits what it accepted as it closes. */
    @Override
    public void close() {
        server.shutdownNow();
    }
}
