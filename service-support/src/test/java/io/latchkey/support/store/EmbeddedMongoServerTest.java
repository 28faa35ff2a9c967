package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.MongoServerException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.latchkey.testing.LoopbackPorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.bson.Document;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(OutputCaptureExtension.class)
class EmbeddedMongoServerTest {

    @TempDir
    Path dataDir;

    @Test
    void committedWritesSurviveAReopenOfTheStoreFile() {
        int port = LoopbackPorts.free();
        try (EmbeddedMongoServer server = EmbeddedMongoServer.start(dataDir, "127.0.0.1", port);
             MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + port)) {
            client.getDatabase("latchkey").getCollection("things").insertOne(new Document("_id", "a").append("v", 1));
            server.commit();
        }
        int again = LoopbackPorts.free();
        try (EmbeddedMongoServer server = EmbeddedMongoServer.start(dataDir, "127.0.0.1", again);
             MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + again)) {
            Document found = client.getDatabase("latchkey").getCollection("things").find().first();
            assertThat(found).isNotNull();
            assertThat(found.getInteger("v")).isEqualTo(1);
        }
    }

    /**
     * A background store that has taken a write but not yet written it, when a command commits: the commit must not
     * return before the write is in the file, and must force the file to the disk.
     */
    @Test
    void aCommitReturnsOnlyOnceWhatABackgroundStoreTookIsWrittenAndForced() throws Exception {
        MVStore store = new MVStore.Builder().fileName(GatedFilePath.name(dataDir.resolve("gated.mv"))).open();
        int port = LoopbackPorts.free();
        try (EmbeddedMongoServer server = EmbeddedMongoServer.serve(new IndexedH2Backend(store), "127.0.0.1", port);
             MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + port)) {
            client.getDatabase("latchkey").getCollection("things").insertOne(new Document("_id", "warm-up"));
            server.commit();
            GatedFilePath.close();
            AtomicBoolean opened = new AtomicBoolean();
            try {
                client.getDatabase("latchkey").getCollection("things").insertOne(new Document("_id", "acknowledged"));
                store.tryCommit();
                assertThat(GatedFilePath.awaitSaveWaiting()).as("the background store waits to write").isTrue();
                int forcedBefore = GatedFilePath.forces();
                Thread opener = new Thread(() -> {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
                    opened.set(true);
                    GatedFilePath.open();
                });
                opener.start();

                server.commit();

                assertThat(opened).as("commit returned while the write was still waiting").isTrue();
                assertThat(GatedFilePath.forces()).isGreaterThan(forcedBefore);
                opener.join();
            } finally {
                GatedFilePath.open();
            }
        }
    }

    @Test
    void eachStartCountsTheCrashesTheStoreHasBeenThrough() {
        String first = startedAndStopped(0);
        String second = startedAndStopped(0);
        assertThat(second).isNotEqualTo(first);

        // A crash: the store closed as a killed process leaves it, nothing committed after its start.
        MVStore store = new MVStore.Builder().fileName(dataDir.resolve("store.mv").toString()).open();
        int port = LoopbackPorts.free();
        EmbeddedMongoServer crashed = EmbeddedMongoServer.serve(new IndexedH2Backend(store), "127.0.0.1", port,
                "latchkey");
        try (MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + port)) {
            // Writes made durable before the kill carry nothing that says the stop was clean.
            client.getDatabase("latchkey").getCollection("things").insertOne(new Document("_id", "before the kill"));
            crashed.commit();
        }
        store.closeImmediately();
        crashed.close();

        startedAndStopped(1);
        startedAndStopped(1);
    }

    @Test
    void aMarkerOfAnEarlierReleaseCountsACrashUnlessItSaysItsProcessStoppedCleanly() {
        markerOfAnEarlierRelease(new Document("_id", "store-start").append("id", "older"));
        startedAndStopped(1);

        markerOfAnEarlierRelease(new Document("_id", "store-start").append("id", "old").append("stoppedCleanly", true));
        startedAndStopped(0);
    }

    /** The store as a release wrote it that served it without counting crashes. */
    private void markerOfAnEarlierRelease(Document marker) {
        int port = LoopbackPorts.free();
        try (EmbeddedMongoServer server = EmbeddedMongoServer.start(dataDir, "127.0.0.1", port);
             MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + port)) {
            client.getDatabase("latchkey").getCollection("latchkey_markers").deleteMany(new Document());
            client.getDatabase("latchkey").getCollection("latchkey_markers").insertOne(marker);
            server.commit();
        }
    }

    /** Starts the store, checks the crashes its start counts, stops it cleanly; the start id. */
    private String startedAndStopped(long crashes) {
        int port = LoopbackPorts.free();
        try (EmbeddedMongoServer server = EmbeddedMongoServer.start(dataDir, "127.0.0.1", port, "latchkey");
             MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + port)) {
            StoreStart start = StoreStart.of(client.getDatabase("latchkey"));
            assertThat(start.crashes()).isEqualTo(crashes);
            return start.id();
        }
    }

    /** What H2 does to a store whose write failed (a full disk): it closes it, and every later command fails. */
    @Test
    void healthIsDownOnceTheStoreIsClosedThoughTheServerStillAnswers() {
        MVStore store = new MVStore.Builder().fileName(dataDir.resolve("closing.mv").toString()).open();
        int port = LoopbackPorts.free();
        try (EmbeddedMongoServer server = EmbeddedMongoServer.serve(new IndexedH2Backend(store), "127.0.0.1", port);
             MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + port)) {
            HealthIndicator health = StoreAutoConfiguration.storeHealth(client, "latchkey", server);
            client.getDatabase("latchkey").getCollection("things").insertOne(new Document("_id", "a"));
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);

            store.closeImmediately();

            assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
            assertThat(client.getDatabase("latchkey").runCommand(new Document("ping", 1)).get("ok"))
                    .as("the server itself still answers").isNotNull();
        }
    }

    /** Each request would otherwise be logged by the server with its stack and reach its service as a 500. */
    @Test
    void requestsToAStoreH2ClosedFailWithTheClosedStoreCodeThatServicesAnswer503(CapturedOutput output) {
        Path file = dataDir.resolve("refusing.mv");
        try (ServedBackend written = ServedBackend.on(new IndexedH2Backend(file.toString()))) {
            written.collection("things").insertMany(IntStream.range(0, 1_000)
                    .mapToObj(i -> new Document("_id", "thing-" + i)).toList());
        }
        // Opened again with more things than a page holds, so that a request reads a page of the store's.
        MVStore store = new MVStore.Builder().fileName(file.toString()).open();
        int port = LoopbackPorts.free();
        try (EmbeddedMongoServer server = EmbeddedMongoServer.serve(new IndexedH2Backend(store), "127.0.0.1", port);
             MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + port)) {
            var things = client.getDatabase("latchkey").getCollection("things");

            store.closeImmediately();

            assertThatThrownBy(() -> things.find(new Document("_id", "thing-500")).first())
                    .isInstanceOfSatisfying(MongoServerException.class,
                            e -> assertThat(e.getCode()).isEqualTo(IndexedH2Backend.CLOSED_CODE))
                    .satisfies(e -> assertThat(StoreUnavailableAdvice.unreachable(e)).isTrue());
            assertThatThrownBy(() -> things.insertOne(new Document("_id", "thing-1000")))
                    .satisfies(e -> assertThat(StoreUnavailableAdvice.unreachable(e)).isTrue());
            assertThat(output.getAll()).doesNotContain("Unknown error");
        }
    }

    @Test
    void theProcessServingAStoreH2ClosedExitsToBeStartedAgainNamingTheFile(CapturedOutput output) throws Exception {
        Path file = dataDir.resolve("exiting.mv");
        MVStore store = new MVStore.Builder().fileName(file.toString()).open();
        CountDownLatch exited = new CountDownLatch(1);
        try (EmbeddedMongoServer server = EmbeddedMongoServer.serve(new IndexedH2Backend(store), "127.0.0.1",
                LoopbackPorts.free());
             ClosedStoreExit watch = new ClosedStoreExit(server, Duration.ofMillis(20), exited::countDown)) {
            assertThat(exited.await(200, TimeUnit.MILLISECONDS)).as("not while the store is open").isFalse();
            store.closeImmediately();
            assertThat(exited.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(output.getAll()).contains("The embedded store " + file + " was closed");
        }
    }

    /** The store closes after the watch as the process stops (the watch's bean depends on the server's). */
    @Test
    void aStoreClosedAfterItsWatchIsNoReasonToExit() throws Exception {
        MVStore store = new MVStore.Builder().fileName(dataDir.resolve("stopping.mv").toString()).open();
        CountDownLatch exited = new CountDownLatch(1);
        try (EmbeddedMongoServer server = EmbeddedMongoServer.serve(new IndexedH2Backend(store), "127.0.0.1",
                LoopbackPorts.free())) {
            new ClosedStoreExit(server, Duration.ofMillis(20), exited::countDown).close();
            store.closeImmediately();
            assertThat(exited.await(200, TimeUnit.MILLISECONDS)).isFalse();
        }
    }

    @Test
    void concurrentCommitsAllReturnAndEveryWriteSurvivesAReopen() throws Exception {
        int port = LoopbackPorts.free();
        int writers = 8;
        try (EmbeddedMongoServer server = EmbeddedMongoServer.start(dataDir, "127.0.0.1", port);
             MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + port)) {
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 25; i++) {
                        client.getDatabase("latchkey").getCollection("things")
                                .insertOne(new Document("_id", writer + "-" + i));
                        server.commit();
                    }
                }));
            }
            for (Future<?> writer : done) {
                writer.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
        }
        int again = LoopbackPorts.free();
        try (EmbeddedMongoServer server = EmbeddedMongoServer.start(dataDir, "127.0.0.1", again);
             MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + again)) {
            assertThat(client.getDatabase("latchkey").getCollection("things").countDocuments()).isEqualTo(writers * 25);
        }
    }
}
