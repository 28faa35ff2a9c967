package io.latchkey.support.store;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import io.latchkey.testing.LoopbackPorts;
import org.axonframework.extensions.mongo.DefaultMongoTemplate;
import org.axonframework.extensions.mongo.MongoTemplate;
import org.bson.Document;

/**
 * A given backend served over TCP on a free loopback port and a MongoDB client of it, for tests that compare backends
 * or reach into one behind the server's back; closing stops the client and then the server, which closes the backend.
 */
record ServedBackend(MongoServer server, MongoClient client, H2Backend backend) implements AutoCloseable {

    /** Axon's default name for the event collection, which the services keep. */
    static final String EVENTS = "domainevents";

    static ServedBackend on(H2Backend backend) {
        MongoServer server = new MongoServer(backend);
        int port = LoopbackPorts.free();
        server.bind("127.0.0.1", port);
        return new ServedBackend(server, MongoClients.create("mongodb://127.0.0.1:" + port), backend);
    }

    MongoCollection<Document> collection(String name) {
        return database().getCollection(name);
    }

    MongoCollection<Document> events() {
        return collection(EVENTS);
    }

    /** The indexes Axon's engine declares on the events at every start; the plain backend accepts and ignores them. */
    static MongoCollection<Document> withAxonIndexes(MongoCollection<Document> events) {
        events.createIndex(Indexes.ascending("aggregateIdentifier", "sequenceNumber"),
                new IndexOptions().unique(true).name("uniqueAggregateIndex"));
        events.createIndex(Indexes.ascending("timestamp", "sequenceNumber"),
                new IndexOptions().name("orderedEventStreamIndex"));
        return events;
    }

    MongoDatabase database() {
        return client.getDatabase("latchkey");
    }

    /** Axon's template over this client, as the services have it. */
    MongoTemplate template() {
        return DefaultMongoTemplate.builder().mongoDatabase(client, "latchkey").build();
    }

    @Override
    public void close() {
        client.close();
        server.shutdownNow();
    }
}
