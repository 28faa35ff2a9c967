package io.latchkey.support.store;

import static com.mongodb.client.model.Filters.eq;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.backend.KeyValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.Document;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads that outlast many commits, while other data changes and the file compacts, find every page they started
 * with: a whole-collection scan over TCP, and the index build at open. The stores keep no chunk past its use
 * (retention 0), as a store does with every chunk older than H2's 45 s retention, and a churn commits and compacts
 * far more often than H2's background writer would, so that what happens now and then in a long-running store
 * happens within seconds. Without a held version, about half the scans and two builds in three meet "Chunk n not
 * found". Closing each backend checks, with assertions on as in every test run, that every version held was released:
 * H2 asserts at close that no version older than the current one is still kept.
 */
class HeldVersionTest {

    private static final int DOCUMENTS = 40_000;
    private static final int OTHERS = 10_000;
    private static final String UNIQUE = "latchkey$unique.1.latchkey.things$eventId_1";
    private static final String PAD = "x".repeat(400);

    @TempDir
    Path dataDir;

    @Test
    void aScanReadsEveryDocumentWhileOtherCollectionsChangeAndTheFileCompacts() {
        // A page cache of 1 MB (H2's default is 16), so that the scans read most pages from their chunks, as they do
        // once a store's data outgrows the cache.
        MVStore store = new MVStore.Builder().fileName(dataDir.resolve("scan.mv").toString()).cacheSize(1).open();
        store.setRetentionTime(0);
        IndexedH2Backend backend = new IndexedH2Backend(store);
        try (ServedBackend served = ServedBackend.on(backend)) {
            MongoCollection<Document> things = served.collection("things");
            MongoCollection<Document> others = served.collection("others");
            fill(things, DOCUMENTS, backend::commit);
            fill(others, OTHERS, backend::commit);
            Random random = new Random(3);
            AtomicInteger steps = new AtomicInteger();
            try (Churn churn = new Churn(() -> {
                others.updateOne(eq("_id", "d" + random.nextInt(OTHERS)), Updates.inc("n", 1));
                backend.commit();
                if (steps.incrementAndGet() % 20 == 0) {
                    store.compact(95, 1 << 20);
                }
            })) {
                for (int scan = 0; scan < 30; scan++) {
                    assertThat(things.countDocuments(eq("n", 0))).as("scan %d", scan).isEqualTo(DOCUMENTS);
                }
            }
            assertThat(steps.get()).as("churn steps during the scans").isGreaterThan(100);
        }
    }

    @Test
    void anIndexBuiltWhenTheStoreOpensReadsEveryDocumentWhileTheFileCompacts() {
        String file = dataDir.resolve("open.mv").toString();
        IndexedH2Backend first = new IndexedH2Backend(file);
        try (ServedBackend served = ServedBackend.on(first)) {
            MongoCollection<Document> things = served.collection("things");
            things.createIndex(Indexes.ascending("eventId"), new IndexOptions().unique(true));
            fill(things, DOCUMENTS, first::commit);
        }
        // Four opens: without a held version one build meets a dropped chunk about two times in three.
        for (int open = 0; open < 4; open++) {
            MVStore store = new MVStore.Builder().fileName(file).open();
            try {
                // As a crash between a document and its entry leaves it: this open builds the index again.
                store.openMap(UNIQUE, IndexedH2Backend.indexEntries())
                        .remove(EncodedUniqueIndex.encode(new KeyValue("e" + open)));
                store.setRetentionTime(0);
                MVMap<Integer, String> unrelated = store.openMap("unrelated");
                Random random = new Random(open);
                AtomicInteger steps = new AtomicInteger();
                IndexedH2Backend reopened;
                try (Churn churn = new Churn(() -> {
                    unrelated.put(random.nextInt(OTHERS), PAD);
                    store.commit();
                    if (steps.incrementAndGet() % 5 == 0) {
                        store.compact(95, 1 << 20);
                    }
                })) {
                    reopened = new IndexedH2Backend(store);
                }
                reopened.close();
                assertThat(steps.get()).as("commits during the build, past the 5 versions H2 keeps anyway")
                        .isGreaterThan(20);
            } finally {
                store.closeImmediately();
            }
        }
        MVStore store = new MVStore.Builder().fileName(file).readOnly().open();
        try {
            assertThat(store.openMap(UNIQUE).size()).isEqualTo(DOCUMENTS);
        } finally {
            store.close();
        }
    }

    /** Documents {@code d0}, {@code d1}, ... committed 500 at a time, so that they lie in many chunks. */
    private static void fill(MongoCollection<Document> collection, int count, Runnable commit) {
        for (int from = 0; from < count; from += 500) {
            List<Document> batch = new ArrayList<>();
            for (int i = from; i < from + 500; i++) {
                batch.add(new Document("_id", "d" + i).append("eventId", "e" + i).append("n", 0).append("pad", PAD));
            }
            collection.insertMany(batch);
            commit.run();
        }
    }

    /** Runs a step over and over on a thread of its own until closed; closing fails if a step failed. */
    private static final class Churn implements AutoCloseable {

        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        Churn(Runnable step) {
            thread = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        step.run();
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "churn");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() {
            stop.set(true);
            try {
                thread.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            assertThat(thread.isAlive()).as("the churn still running a minute after it was stopped").isFalse();
            assertThat(failure.get()).as("the churn's own steps").isNull();
        }
    }
}
