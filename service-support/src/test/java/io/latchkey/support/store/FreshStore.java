package io.latchkey.support.store;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.axonframework.extensions.mongo.MongoTemplate;
import org.bson.Document;

/**
 * For load runs: a backend on a store file in a new temporary folder, served over TCP until {@link #stopServing};
 * closing stops it too and deletes the folder.
 */
final class FreshStore implements AutoCloseable {

    private final Path dir;
    private final String file;
    private ServedBackend served;

    private FreshStore(Path dir, Function<String, H2Backend> backend) {
        this.dir = dir;
        this.file = dir.resolve("store.mv").toString();
        this.served = ServedBackend.on(backend.apply(file));
    }

    static FreshStore of(Function<String, H2Backend> backend, String name) throws IOException {
        return new FreshStore(Files.createTempDirectory(name), backend);
    }

    MongoCollection<Document> collection(String name) {
        return served.collection(name);
    }

    /** Axon's template over the served store, as the services have it. */
    MongoTemplate template() {
        return served.template();
    }

    MongoDatabase database() {
        return served.database();
    }

    /** Writes the store to disk, as the process that serves it does before acknowledging a command. */
    void commit() {
        served.backend().commit();
    }

    /** The store file, to open again once this stopped serving it. */
    String file() {
        return file;
    }

    void stopServing() {
        if (served != null) {
            served.close();
            served = null;
        }
    }

    @Override
    public void close() throws IOException {
        stopServing();
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(path -> path.toFile().delete());
        }
    }
}
