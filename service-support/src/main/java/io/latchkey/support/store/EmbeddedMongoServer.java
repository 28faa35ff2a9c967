package io.latchkey.support.store;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.ArrayFilters;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.NoopOplog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
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
    /** The store's file in the data directory. */
    static final String FILE_NAME = "store.mv";
    /** Causes looked through at most: a chain may be long, or a cycle. */
    private static final int MAX_CAUSES = 16;

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
     * previous id into the restarted store. The marker also counts the crashes the store has been through
     * ({@link StoreStart}): only a crash takes back writes it had accepted.
     */
    public static EmbeddedMongoServer start(Path dataDir, String host, int port, String database) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dataDir, e);
        }
        Path file = dataDir.resolve(FILE_NAME);
        EmbeddedMongoServer served;
        try {
            served = serve(new IndexedH2Backend(file.toString()), host, port, database);
        } catch (RuntimeException e) {
            // Said in a line of its own, which bin/latchkey shows: the cause is at the end of a long chain of beans.
            log.error("The embedded store {} could not be opened: {}", file, rootMessage(e));
            throw e;
        }
        log.info("Embedded MongoDB-wire store serving {} on {}:{}", file, host, port);
        return served;
    }

    /** Serves {@code backend} as {@link #start} serves its file, for tests that open the store themselves. */
    static EmbeddedMongoServer serve(IndexedH2Backend backend, String host, int port, String database) {
        if (database != null) {
            MongoCollection<?> markers = markers(backend, database);
            Document previous = marker(markers);
            // A new store has been through no crash. A marker that does not say its process stopped cleanly counts
            // one, a marker of a release before these fields among them (a reader of it replays once, the safe side).
            long crashes = previous == null ? 0 : ((Number) previous.getOrDefault(StoreStart.CRASHES, 0L)).longValue()
                    + (Boolean.TRUE.equals(previous.get(STOPPED_CLEANLY)) ? 0 : 1);
            // On disk before any client can connect. The background writer is paused so that none of its stores holds
            // the marker's pages when this commit runs (see commit()); one write, so a kill leaves one marker whole.
            MVStore store = backend.getMvStore();
            int delay = store.getAutoCommitDelay();
            store.setAutoCommitDelay(0);
            try {
                replace(markers, new Document("_id", StoreStartAwareTokenStore.START)
                        .append("id", UUID.randomUUID().toString()).append(StoreStart.CRASHES, crashes));
                store.commit();
                store.sync();
            } finally {
                store.setAutoCommitDelay(delay);
            }
            // Marked as the backend closes, once no client can write: whatever it accepted is in that last commit.
            backend.beforeClose(() -> {
                MongoCollection<?> atClose = backend.resolveDatabase(database)
                        .resolveCollection(EventPositions.MARKERS, false);
                Document marker = atClose == null ? null : marker(atClose);
                if (marker != null) {
                    replace(atClose, marker.cloneDeeply().append(STOPPED_CLEANLY, true));
                }
            });
        }
        return serve(backend, host, port);
    }

    private static MongoCollection<?> markers(H2Backend backend, String database) {
        MongoDatabase db = backend.resolveDatabase(database);
        MongoCollection<?> markers = db.resolveCollection(EventPositions.MARKERS, false);
        return markers != null ? markers : db.createCollectionOrThrowIfExists(EventPositions.MARKERS);
    }

    private static Document marker(MongoCollection<?> markers) {
        return markers.handleQueryAsStream(new Document("_id", StoreStartAwareTokenStore.START)).findFirst()
                .orElse(null);
    }

    /** One write, so that no commit between two finds the store without a marker. */
    private static void replace(MongoCollection<?> markers, Document marker) {
        markers.updateDocuments(new Document("_id", StoreStartAwareTokenStore.START), marker, ArrayFilters.empty(),
                false, true, NoopOplog.get());
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

    /** The store's file, as H2 names it. */
    String fileName() {
        return backend.getMvStore().getFileStore().getFileName();
    }

    /** Why H2 closed the store, the root cause's message ("No space left on device"). */
    String closedBecause() {
        MVStoreException panic = backend.getMvStore().getPanicException();
        return panic == null ? "no failure recorded" : rootMessage(panic);
    }

    /** The message of {@code e}'s root cause, its type where it has none. */
    static String rootMessage(Throwable e) {
        Throwable root = e;
        for (int i = 0; root.getCause() != null && i < MAX_CAUSES; i++) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.getClass().getName();
    }

    /** Whether {@code e} is H2's refusal of a store it had closed already, not the failure that closed it. */
    static boolean closedBefore(Throwable e) {
        return anyCause(e, cause -> cause instanceof MVStoreException h2
                && h2.getErrorCode() == DataUtils.ERROR_CLOSED);
    }

    /** Whether {@code e} or one of its first causes is {@code which}: a chain may be long, or a cycle. */
    static boolean anyCause(Throwable e, Predicate<Throwable> which) {
        Throwable cause = e;
        for (int i = 0; cause != null && i < MAX_CAUSES; i++, cause = cause.getCause()) {
            if (which.test(cause)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Stops serving; the server then closes the backend, which marks the stop clean once no client can write, and
     * whose store commits what it accepted, the marker among it, as it closes: a kill before that reads as a crash.
     */
    @Override
    public void close() {
        server.shutdownNow();
    }
}
