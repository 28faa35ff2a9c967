package io.latchkey.support.store;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MongoDB-wire server on 127.0.0.1 backed by an H2 MVStore file. The MVStore commits on its own about once a
 * second; {@link #commit()} forces it, so a caller can make a write durable before acknowledging it.
 */
public final class EmbeddedMongoServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedMongoServer.class);

    private final H2Backend backend;
    private final MongoServer server;

    private EmbeddedMongoServer(H2Backend backend, MongoServer server) {
        this.backend = backend;
        this.server = server;
    }

    public static EmbeddedMongoServer start(Path dataDir, String host, int port) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dataDir, e);
        }
        Path file = dataDir.resolve("store.mv");
        H2Backend backend = new IndexedH2Backend(file.toString());
        MongoServer server = new MongoServer(backend);
        server.bind(host, port);
        log.info("Embedded MongoDB-wire store serving {} on {}:{}", file, host, port);
        return new EmbeddedMongoServer(backend, server);
    }

    /** Writes everything accepted so far to the store file. */
    public void commit() {
        backend.commit();
    }

    /** Stops serving; the server then closes the backend, whose store commits what it accepted as it closes. */
    @Override
    public void close() {
        server.shutdownNow();
    }
}
