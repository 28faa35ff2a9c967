package io.latchkey.support.store;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.latchkey.testing.LoopbackPorts;
import java.nio.file.Path;
import org.axonframework.extensions.mongo.DefaultMongoTemplate;
import org.axonframework.extensions.mongo.MongoTemplate;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.MongoEventStorageEngine;
import org.axonframework.serialization.json.JacksonSerializer;

/**
 * The embedded store served over TCP on a free loopback port, a MongoDB client of it, and Axon's template over that
 * client, as the services have them; closing stops the client and then the store.
 */
record ServedStore(EmbeddedMongoServer server, int port, MongoClient client, MongoTemplate template)
        implements AutoCloseable {

    static ServedStore start(Path dataDir) {
        int port = LoopbackPorts.free();
        EmbeddedMongoServer server = EmbeddedMongoServer.start(dataDir, "127.0.0.1", port);
        MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + port);
        return new ServedStore(server, port, client,
                DefaultMongoTemplate.builder().mongoDatabase(client, "latchkey").build());
    }

    /** A client of the store of its own, as another process has; the caller closes it. */
    MongoClient newClient() {
        return MongoClients.create("mongodb://127.0.0.1:" + port);
    }

    MongoDatabase database() {
        return client.getDatabase("latchkey");
    }

    /** An engine on this store with JSON events and snapshots; callers add what they test. */
    MongoEventStorageEngine.Builder engine() {
        return engineOn(template);
    }

    /** An engine over {@code template} with JSON events and snapshots; callers add what they test. */
    static MongoEventStorageEngine.Builder engineOn(MongoTemplate template) {
        JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
        return MongoEventStorageEngine.builder().mongoTemplate(template)
                .snapshotSerializer(serializer).eventSerializer(serializer);
    }

    @Override
    public void close() {
        client.close();
        server.close();
    }
}
