package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedMongoServerTest {

    @TempDir
    Path dataDir;

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void committedWritesSurviveAReopenOfTheStoreFile() throws IOException {
        int port = freePort();
        try (EmbeddedMongoServer server = EmbeddedMongoServer.start(dataDir, "127.0.0.1", port);
             MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + port)) {
            client.getDatabase("latchkey").getCollection("things").insertOne(new Document("_id", "a").append("v", 1));
            server.commit();
        }
        int again = freePort();
        try (EmbeddedMongoServer server = EmbeddedMongoServer.start(dataDir, "127.0.0.1", again);
             MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + again)) {
            Document found = client.getDatabase("latchkey").getCollection("things").find().first();
            assertThat(found).isNotNull();
            assertThat(found.getInteger("v")).isEqualTo(1);
        }
    }
}
