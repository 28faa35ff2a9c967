package io.latchkey.command;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.latchkey.support.store.EmbeddedMongoServer;
import io.latchkey.testing.LoopbackPorts;
import java.nio.file.Path;
import org.springframework.data.mongodb.core.MongoTemplate;

/** The embedded store in a directory of its own, served over TCP as the services use it, and a template on it. */
public final class ServedTemplate implements AutoCloseable {

    private final EmbeddedMongoServer server;
    private final MongoClient client;
    private final MongoTemplate mongo;

    private ServedTemplate(EmbeddedMongoServer server, MongoClient client) {
        this.server = server;
        this.client = client;
        this.mongo = new MongoTemplate(client, "test");
    }

    public static ServedTemplate start(Path dataDir) {
        int port = LoopbackPorts.free();
        EmbeddedMongoServer server = EmbeddedMongoServer.start(dataDir, "127.0.0.1", port);
        return new ServedTemplate(server, MongoClients.create("mongodb://127.0.0.1:" + port));
    }

    public MongoTemplate mongo() {
        return mongo;
    }

    @Override
    public void close() {
        client.close();
        server.close();
    }
}
