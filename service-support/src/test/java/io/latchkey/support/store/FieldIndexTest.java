package io.latchkey.support.store;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gt;
import static com.mongodb.client.model.Filters.gte;
import static com.mongodb.client.model.Filters.lt;
import static com.mongodb.client.model.Filters.lte;
import static com.mongodb.client.model.Filters.or;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.ObjectId;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Decimal128;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Non-unique indexes in the embedded store ({@link FieldIndex}), over TCP with the MongoDB driver: the same answers as
 * the plain backend's scans for every shape the services use and the awkward values around them, read from the index
 * rather than the collection, kept through updates, deletes and restarts.
 */
class FieldIndexTest {

    @TempDir
    Path dataDir;

    private static final long T0 = 1_796_000_000_000L;

    private static Date at(long millis) {
        return new Date(T0 + millis);
    }

    /** As the key list's and the expiry sweep's indexes are declared. */
    private static void index(MongoCollection<Document> things) {
        things.createIndex(Indexes.compoundIndex(Indexes.ascending("owner"), Indexes.descending("created")));
        things.createIndex(Indexes.ascending("due"));
        // As the events' aggregate index: a second field that narrows an equality on the first.
        things.createIndex(Indexes.compoundIndex(Indexes.ascending("group"), Indexes.descending("n")));
    }

    /** Ids out of every other order; owners and dates of every type a field can hold. */
    private static void insertThings(MongoCollection<Document> things) {
        for (int i = 0; i < 60; i++) {
            things.insertOne(new Document("_id", String.format("t%02d", (i * 37) % 61)).append("owner", "dev-" + i % 4)
                    .append("created", at(i % 7)).append("due", at(i * 10L)).append("n", (long) i)
                    .append("group", "g" + i % 3));
        }
        things.insertOne(new Document("_id", "odd-1").append("owner", List.of("dev-1", "dev-9")).append("due", null));
        things.insertOne(new Document("_id", "odd-2").append("owner", null).append("due", "2026-12-03"));
        things.insertOne(new Document("_id", "odd-3").append("owner", 1L).append("due", List.of(at(5), at(900))));
        things.insertOne(new Document("_id", "odd-4").append("owner", "dev-\0x").append("due", 15L));
        things.insertOne(new Document("_id", "odd-5").append("owner", "dév-1").append("due", List.of(List.of(at(5)))));
        things.insertOne(new Document("_id", 42).append("owner", "dev-1").append("due", at(-1)));
        things.insertOne(new Document("_id", "odd-6"));
        things.insertOne(new Document("_id", "odd-7").append("owner", "dev-1").append("due", at(Long.MAX_VALUE / 2)));
        // Strings that are prefixes or escapes of each other, and dates before 1970.
        things.insertOne(new Document("_id", "odd-8").append("owner", "dev-1\0").append("due", new Date(-5_000L)));
        things.insertOne(new Document("_id", "odd-9").append("owner", "dev-1\u0001").append("due", new Date(-1L)));
        things.insertOne(new Document("_id", "odd-10").append("owner", "dev-10").append("due", new Date(0L)));
        things.insertOne(new Document("_id", "odd-11").append("owner", "dev-1\0\0").append("due", new Date(1L)));
        // Second-field values of every numeric type and none.
        things.insertOne(new Document("_id", "odd-12").append("group", "g1").append("n", 12.5));
        things.insertOne(new Document("_id", "odd-13").append("group", "g1").append("n", 13));
        things.insertOne(new Document("_id", "odd-14").append("group", "g1"));
        things.insertOne(new Document("_id", "odd-15").append("group", "g1").append("n", List.of(3L, 40L)));
        things.insertOne(new Document("_id", "odd-16").append("group", "g1").append("n", "7"));
        things.insertOne(new Document("_id", "odd-17").append("group", List.of("g1", "g2")).append("n", 7.0));
        things.insertOne(new Document("_id", "odd-18").append("group", "g1").append("n", -5L));
        things.insertOne(new Document("_id", "odd-19").append("group", "g1").append("n", Long.MIN_VALUE));
        things.insertOne(new Document("_id", "odd-20").append("group", "g1").append("n", Long.MAX_VALUE));
        things.insertOne(new Document("_id", "odd-21").append("group", "g1").append("n", new Decimal128(13)));
        things.insertOne(new Document("_id", "odd-22").append("group", "g1").append("n", null));
        things.insertOne(new Document("_id", "odd-23").append("group", "g1").append("n", new Document("x", 1L)));
        things.insertOne(new Document("_id", "odd-24").append("group", "g1").append("n", "7\0"));
    }

    private static List<Bson> queries() {
        return List.of(
                eq("owner", "dev-1"),
                new Document("owner", new Document("$eq", "dev-2")),
                eq("owner", "dev-\0x"),
                eq("owner", "dév-1"),
                eq("owner", "dev-9"),
                eq("owner", "nobody"),
                // The key list's page after a cursor: newest first, ties by id.
                and(eq("owner", "dev-1"), or(lt("created", at(3)), and(eq("created", at(3)), gt("_id", "t20")))),
                new Document("owner", "dev-3").append("$or", List.of(new Document("n", new Document("$lt", 20L)),
                        new Document("n", 59L))),
                // The expiry sweep.
                lte("due", at(200)),
                lt("due", at(200)),
                and(gt("due", at(100)), lte("due", at(300))),
                new Document("due", new Document("$gte", at(100)).append("$lt", at(100))),
                eq("due", at(5)),
                gte("due", at(0)),
                and(lte("due", at(200)), eq("owner", "dev-0")),
                lte("due", "2026-12-31"),
                eq("owner", 1L),
                eq("owner", "dev-1\0"),
                eq("owner", "dev-1\u0001"),
                eq("owner", "dev-1\0\0"),
                eq("owner", "dev-10"),
                and(gt("due", new Date(-5_000L)), gte("due", new Date(-5_000L)), lt("due", new Date(1L))),
                new Document("due", new Document("$gte", new Date(-10_000L))).append("$and",
                        List.of(new Document("due", new Document("$lte", new Date(0L))))),
                and(eq("owner", "dev-1"), eq("owner", "dev-9")),
                and(eq("group", "g1"), gte("n", 10L)),
                and(eq("group", "g1"), lt("n", 14)),
                and(eq("group", "g1"), eq("n", 13L)),
                and(eq("group", "g1"), eq("n", 7.0)),
                and(eq("group", "g1"), gte("n", 12.0)),
                and(eq("group", "g2"), gt("n", 5L), lte("n", 40L)),
                new Document("group", "g1").append("n", new Document("$gte", 30L)),
                and(eq("group", "g1"), eq("n", "7")),
                and(eq("group", "g1"), gte("n", -10L)),
                and(eq("group", "g1"), lt("n", 0L)),
                and(eq("group", "g1"), gte("n", Long.MAX_VALUE)),
                and(eq("group", "g1"), lte("n", Long.MIN_VALUE)),
                and(eq("group", "g1"), eq("n", "7\0")),
                and(eq("group", "g1"), eq("n", null)),
                new Document("group", new Document("$exists", true)).append("$and",
                        List.of(new Document("group", "g2"), new Document("n", new Document("$lt", 9L)))),
                and(eq("owner", "dev-1"), gte("created", at(3))),
                and(eq("owner", "dev-1"), eq("created", at(2))),
                // Numbers in the first field, as the events' positions.
                gte("due", 10L),
                and(gt("due", 0), lt("due", 16L)),
                eq("due", 15),
                gt("due", 14.5));
    }

    private static List<List<Object>> answers(MongoCollection<Document> things) {
        List<List<Object>> answers = new ArrayList<>();
        for (Bson query : queries()) {
            // Without a sort the order is the store's own: an index walk and a scan meet documents differently.
            List<Object> unordered = ids(things.find(query));
            unordered.sort(Comparator.comparing(String::valueOf));
            answers.add(unordered);
            answers.add(ids(things.find(query).sort(Sorts.orderBy(Sorts.descending("created"), Sorts.ascending("_id")))
                    .limit(4)));
            answers.add(ids(things.find(query).sort(Sorts.ascending("due", "_id")).skip(1).limit(3)));
            answers.add(ids(things.find(query).sort(new Document("$natural", -1))));
            answers.add(ids(things.find(query).sort(new Document("$natural", 1)).limit(5)));
            answers.add(List.of(things.countDocuments(query)));
        }
        return answers;
    }

    private static List<Object> ids(Iterable<Document> found) {
        List<Object> ids = new ArrayList<>();
        found.forEach(document -> ids.add(document.get("_id")));
        return ids;
    }

    private List<List<Object>> answersOn(Function<String, H2Backend> backend, String file) {
        try (ServedBackend served = ServedBackend.on(backend.apply(dataDir.resolve(file).toString()))) {
            index(served.collection("things"));
            insertThings(served.collection("things"));
            return answers(served.collection("things"));
        }
    }

    @Test
    void anObjectIdPositionIsNamedAsTheIndexesOnDiskNameIt() {
        // Entries written by earlier releases name an ObjectId position by its class and toString; a store opened
        // again must find them under the same text.
        for (int i = 0; i < 100; i++) {
            ObjectId id = new ObjectId();
            assertThat(FieldIndex.position(id)).isEqualTo(ObjectId.class.getName() + ':' + id);
        }
        assertThat(FieldIndex.position("k1")).isEqualTo("sk1");
        assertThat(FieldIndex.position(42L)).isEqualTo("java.lang.Long:42");
    }

    @Test
    void queriesOnAnIndexedFieldAnswerAsTheFullScanDoes() {
        List<List<Object>> plain = answersOn(H2Backend::new, "plain.mv");
        assertThat(answersOn(IndexedH2Backend::new, "indexed.mv")).isEqualTo(plain);
        int shapes = 6;
        assertThat(plain.get(0)).as("owner dev-1").hasSize(18).contains(42, "odd-1", "odd-7").doesNotContain("odd-5",
                "odd-8", "odd-9", "odd-10", "odd-11");
        assertThat(plain.get(8 * shapes)).as("due by 200 ms").hasSizeGreaterThanOrEqualTo(23)
                .contains(42, "odd-3", "t00", "odd-8", "odd-9", "odd-10").doesNotContain("odd-4", "odd-2");
        assertThat(plain.get(17 * shapes)).as("owner dev-1\\0").containsExactly("odd-8");
        assertThat(plain.get(21 * shapes)).as("-5 s < due < 1 ms").containsExactly("odd-10", "odd-9");
        assertThat(plain.get(23 * shapes)).as("both owners").containsExactly("odd-1");
        assertThat(plain.get(25 * shapes)).as("g1, n < 14").contains("odd-12", "odd-13", "odd-15", "odd-17")
                .doesNotContain("odd-14", "odd-16");
        assertThat(plain.get(26 * shapes)).as("g1, n = 13").containsExactly("odd-13", "odd-21", "t54");
        assertThat(plain.get(33 * shapes)).as("g1, n < 0").containsExactly("odd-18", "odd-19");
    }

    @Test
    void aNumericConditionOnTheFirstFieldIsLeftToTheStoreOnceAnotherKindOfNumberIsThere() {
        Function<String, List<List<Object>>> answers = file -> {
            try (ServedBackend served = ServedBackend.on(file.startsWith("plain")
                    ? new H2Backend(dataDir.resolve(file).toString())
                    : new IndexedH2Backend(dataDir.resolve(file).toString()))) {
                MongoCollection<Document> positions = served.collection("positions");
                positions.createIndex(Indexes.ascending("position"));
                for (long position = 1; position <= 20; position++) {
                    positions.insertOne(new Document("_id", "p" + position).append("position", position));
                }
                List<List<Object>> found = new ArrayList<>();
                List<Bson> queries = List.of(gt("position", 15L), eq("position", 15), lt("position", 3));
                queries.forEach(query -> found.add(ids(positions.find(query).sort(Sorts.ascending("position")))));
                // MongoDB compares a double with a long: the index holds no doubles, so it stops answering.
                positions.insertOne(new Document("_id", "d15").append("position", 15.0));
                positions.insertOne(new Document("_id", "d2").append("position", 2.5));
                queries.forEach(query -> found.add(ids(positions.find(query).sort(Sorts.ascending("position")))));
                return found;
            }
        };
        List<List<Object>> plain = answers.apply("plain-numbers.mv");
        assertThat(answers.apply("indexed-numbers.mv")).isEqualTo(plain);
        assertThat(plain.get(1)).containsExactly("p15");
        assertThat(plain.get(4)).containsExactlyInAnyOrder("p15", "d15");
        assertThat(plain.get(5)).containsExactly("p1", "p2", "d2");
    }

    /**
     * Into the collection's map behind the store's back, as the store holds documents (dates as instants): a scan meets
     * it, an index walk cannot.
     */
    private static void slipIn(IndexedH2Backend backend, String id, String owner, Instant due) {
        var ghost = new de.bwaldvogel.mongo.bson.Document("_id", id).append("owner", owner);
        if (due != null) {
            ghost.append("due", due);
        }
        backend.getMvStore().<Object, de.bwaldvogel.mongo.bson.Document>openMap("databases.latchkey.things")
                .put(id, ghost);
    }

    private static List<Object> sorted(Iterable<Document> found) {
        List<Object> ids = ids(found);
        ids.sort(Comparator.comparing(String::valueOf));
        return ids;
    }

    @Test
    void indexedQueriesReadTheIndexWhichFollowsWritesAndIsMadeWholeOnStart() {
        String file = dataDir.resolve("followed.mv").toString();
        IndexedH2Backend backend = new IndexedH2Backend(file);
        try (ServedBackend served = ServedBackend.on(backend)) {
            MongoCollection<Document> things = served.collection("things");
            index(things);
            insertThings(things);
            slipIn(backend, "ghost", "dev-1", at(1).toInstant());
            assertThat(things.find(eq("n", null)).map(d -> d.get("_id")).into(new ArrayList<>()))
                    .as("a scan").contains("ghost");
            assertThat(sorted(things.find(eq("owner", "dev-1")))).as("by owner").doesNotContain("ghost").hasSize(18);
            assertThat(sorted(things.find(lte("due", at(1))))).as("by due").doesNotContain("ghost");

            things.updateOne(eq("_id", "odd-7"), Updates.set("owner", "dev-2"));
            things.updateOne(eq("_id", "odd-1"), Updates.set("owner", List.of("dev-9")));
            things.updateOne(eq("_id", "t00"), Updates.set("due", at(100_000)));
            // Updates that leave every indexed field as it was keep the entries the updates above made.
            things.updateOne(eq("_id", "odd-7"), Updates.set("note", "moved"));
            things.updateOne(eq("_id", "t00"), Updates.set("note", "later"));
            things.deleteOne(eq("_id", 42));
            things.deleteMany(eq("owner", "dev-3"));
            assertThat(sorted(things.find(eq("owner", "dev-1")))).hasSize(15).doesNotContain(42, "odd-1", "odd-7");
            assertThat(sorted(things.find(eq("owner", "dev-2")))).contains("odd-7");
            assertThat(sorted(things.find(eq("owner", "dev-9")))).containsExactly("odd-1");
            assertThat(sorted(things.find(eq("owner", "dev-3")))).isEmpty();
            assertThat(sorted(things.find(gte("due", at(100_000))))).contains("t00");
            assertThat(sorted(things.find(lte("due", at(0))))).doesNotContain("t00", 42);
        }
        // The ghost stands for a document whose entry a crash lost: the next start makes the index whole, and reads it.
        IndexedH2Backend reopened = new IndexedH2Backend(file);
        try (ServedBackend served = ServedBackend.on(reopened)) {
            MongoCollection<Document> things = served.collection("things");
            assertThat(sorted(things.find(eq("owner", "dev-1")))).hasSize(16).contains("ghost");
            assertThat(sorted(things.find(eq("owner", "dev-2")))).contains("odd-7");
            assertThat(sorted(things.find(lte("due", at(1))))).contains("ghost");
            slipIn(reopened, "ghost-2", "dev-1", at(1).toInstant());
            assertThat(sorted(things.find(eq("owner", "dev-1")))).hasSize(16).doesNotContain("ghost-2");

            things.insertOne(new Document("_id", null).append("owner", "dev-1"));
            assertThat(sorted(things.find(eq("owner", "dev-1")))).hasSize(17).contains((Object) null);
            assertThat(things.deleteOne(eq("_id", null)).getDeletedCount()).isEqualTo(1);
            assertThat(sorted(things.find(eq("owner", "dev-1")))).hasSize(16).doesNotContain((Object) null);
        }
    }

    @Test
    void anIndexMadeOnAFilledCollectionIsBuiltFromItsDocumentsAndDroppedOnRequest() {
        IndexedH2Backend backend = new IndexedH2Backend(dataDir.resolve("late.mv").toString());
        try (ServedBackend served = ServedBackend.on(backend)) {
            MongoCollection<Document> things = served.collection("things");
            insertThings(things);
            slipIn(backend, "ghost", "dev-1", null);
            assertThat(sorted(things.find(eq("owner", "dev-1")))).as("scanned").hasSize(19).contains("ghost");
            index(things);
            assertThat(sorted(things.find(eq("owner", "dev-1")))).as("built by a scan").hasSize(19).contains("ghost");
            slipIn(backend, "ghost-2", "dev-1", null);
            assertThat(sorted(things.find(eq("owner", "dev-1")))).as("indexed").hasSize(19).doesNotContain("ghost-2");
            String entries = "latchkey.index.2.latchkey.things$owner_1_created_-1";
            assertThat(backend.getMvStore().hasMap(entries)).isTrue();
            things.dropIndex(Indexes.compoundIndex(Indexes.ascending("owner"), Indexes.descending("created")));
            assertThat(sorted(things.find(eq("owner", "dev-1")))).as("scanned again").hasSize(20).contains("ghost-2");
            assertThat(backend.getMvStore().hasMap(entries)).as("its entries removed").isFalse();
        }
    }

    @Test
    void anEqualityOnTheFirstFieldAndARangeOnTheSecondWalkOnlyThatRange() {
        IndexedH2Backend backend = new IndexedH2Backend(dataDir.resolve("narrowed.mv").toString());
        try (ServedBackend served = ServedBackend.on(backend)) {
            MongoCollection<Document> things = served.collection("things");
            index(things);
            insertThings(things);
            things.insertOne(new Document("_id", "moved").append("group", "g1").append("n", 100L));
            // Its n changed behind the store's back: the index still files it under 100.
            var data = backend.getMvStore().<Object, de.bwaldvogel.mongo.bson.Document>openMap(
                    "databases.latchkey.things");
            data.put("moved", new de.bwaldvogel.mongo.bson.Document("_id", "moved").append("group", "g1")
                    .append("n", 5L));

            assertThat(sorted(things.find(eq("group", "g1")))).as("the whole of g1").contains("moved");
            assertThat(sorted(things.find(and(eq("group", "g1"), lt("n", 10L))))).as("n < 10 only")
                    .doesNotContain("moved").contains("odd-18", "odd-19");
            assertThat(sorted(things.find(and(eq("group", "g1"), gte("n", 99L), lte("n", 101L))))).as("the old place")
                    .isEmpty();
        }
    }

    /** A stream per aggregate, as Axon's events: "a" with one document per sequence, "b" with three to each. */
    private static void insertStreams(MongoCollection<Document> streams) {
        streams.createIndex(Indexes.compoundIndex(Indexes.ascending("agg"), Indexes.descending("seq")));
        List<Document> documents = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            documents.add(new Document("_id", String.format("a-%03d", (i * 7) % 300)).append("agg", "a")
                    .append("seq", (long) ((i * 7) % 300)));
            documents.add(new Document("_id", String.format("b-%03d", i)).append("agg", "b").append("seq", i / 3L));
        }
        streams.insertMany(documents);
    }

    private static List<List<Object>> pages(MongoCollection<Document> streams) {
        List<List<Object>> pages = new ArrayList<>();
        for (String agg : List.of("a", "b", "c")) {
            for (long from : List.of(0L, 41L, 295L)) {
                Bson query = and(eq("agg", agg), gte("seq", from));
                pages.add(ids(streams.find(query).sort(Sorts.ascending("seq")).limit(10)));
                pages.add(ids(streams.find(query).sort(Sorts.ascending("seq")).skip(3).limit(4)));
                pages.add(ids(streams.find(and(eq("agg", agg), gte("seq", from), lt("seq", from + 6)))
                        .sort(Sorts.ascending("seq")).limit(50)));
            }
        }
        return pages;
    }

    @Test
    void aPageInTheIndexOrderAnswersAsTheFullSortDoesEvenWithStaleEntries() {
        List<List<Object>> plain;
        try (ServedBackend served = ServedBackend.on(new H2Backend(dataDir.resolve("plain-streams.mv").toString()))) {
            insertStreams(served.collection("streams"));
            plain = pages(served.collection("streams"));
        }
        IndexedH2Backend backend = new IndexedH2Backend(dataDir.resolve("streams.mv").toString());
        try (ServedBackend served = ServedBackend.on(backend)) {
            MongoCollection<Document> streams = served.collection("streams");
            insertStreams(streams);
            assertThat(pages(streams)).isEqualTo(plain);
            assertThat(plain.get(3 * 3)).as("b from 0, ties across the page's end").hasSize(10);

            // Filed at 150, and also at 101 as a crash may leave it (a stale entry outlives a restart): it counts only
            // where it is, once.
            streams.insertOne(new Document("_id", "moved").append("agg", "a").append("seq", 150L));
            backend.getMvStore().<String, Object>openMap("latchkey.index.2.latchkey.streams$agg_1_seq_-1")
                    .put("sa\0\0n" + String.format("%016x", 101L ^ Long.MIN_VALUE) + "\0\0smoved", "moved");
            assertThat(ids(streams.find(and(eq("agg", "a"), gte("seq", 100L))).sort(Sorts.ascending("seq")).limit(5)))
                    .containsExactly("a-100", "a-101", "a-102", "a-103", "a-104");
            assertThat(ids(streams.find(and(eq("agg", "a"), gte("seq", 140L))).sort(Sorts.ascending("seq")).limit(15)))
                    .containsExactly("a-140", "a-141", "a-142", "a-143", "a-144", "a-145", "a-146", "a-147", "a-148",
                            "a-149", "a-150", "moved", "a-151", "a-152", "a-153");
        }
    }

    @Test
    void theWalkIsOfferedInSortOrderOnlyWhereItIsThatOrder() {
        MVStore store = MVStore.open(null);
        FieldIndex index = new FieldIndex(store.openMap("entries"), "agg_1_seq_-1",
                List.of(new IndexKey("agg", true), new IndexKey("seq", false)), false);
        for (long seq = 9; seq >= 0; seq--) {
            index.add(new de.bwaldvogel.mongo.bson.Document("_id", "a-" + seq).append("agg", "a").append("seq", seq),
                    "a-" + seq, null);
            index.add(new de.bwaldvogel.mongo.bson.Document("_id", "b-" + seq).append("agg", "b").append("seq", seq),
                    "b-" + seq, null);
        }
        de.bwaldvogel.mongo.bson.Document bySeq = new de.bwaldvogel.mongo.bson.Document("seq", 1);
        var fromFour = new de.bwaldvogel.mongo.bson.Document("agg", "a").append("seq",
                new de.bwaldvogel.mongo.bson.Document("$gte", 4L));
        Iterator<Map.Entry<String, Object>> walk = index.inOrder(fromFour, bySeq);
        assertThat(walk).isNotNull();
        assertThat(walk.next().getValue()).isEqualTo("a-4");
        assertThat(walk.next().getValue()).isEqualTo("a-5");
        assertThat(index.inOrder(fromFour, new de.bwaldvogel.mongo.bson.Document("seq", -1))).as("descending").isNull();
        assertThat(index.inOrder(new de.bwaldvogel.mongo.bson.Document("agg", "a"), bySeq)).as("unbounded").isNull();

        index.add(new de.bwaldvogel.mongo.bson.Document("_id", "a-d").append("agg", "a").append("seq", 4.5), "a-d",
                null);
        assertThat(index.inOrder(fromFour, bySeq)).as("a double among a's").isNull();
        assertThat(index.inOrder(fromFour.append("agg", "b"), bySeq)).as("b has none").isNotNull();

        index.add(new de.bwaldvogel.mongo.bson.Document("_id", "c").append("agg", "c").append("seq", List.of(1L)), "c",
                null);
        assertThat(index.inOrder(fromFour, bySeq)).as("an array since the start").isNull();
        store.close();
    }

    /** Names that sort next to each other, escapes among them, and ties in name and in both fields. */
    private static void insertNamed(MongoCollection<Document> walks, boolean mixed) {
        List<String> names = List.of("a", "b", "b\0", "b\0\0", "b\u0001", "ba", "c", "dév");
        for (int i = 0; i < 90; i++) {
            Object n = i % 11 == 0 ? 7.0 : i % 13 == 0 ? null : i % 17 == 0 ? "7" : (long) (i % 9);
            walks.insertOne(new Document("_id", String.format("w%03d", (i * 53) % 97)).append("name",
                    names.get(i % names.size())).append("n", n).append("due", at(i % 6 * 100L)));
        }
        walks.insertOne(new Document("_id", 5).append("name", "b").append("n", 3L).append("due", at(50)));
        if (mixed) {
            walks.insertOne(new Document("_id", "m-1").append("name", null).append("n", 1L));
            walks.insertOne(new Document("_id", "m-2").append("n", 2L));
            walks.insertOne(new Document("_id", "m-3").append("name", 12L).append("n", 3L));
            walks.insertOne(new Document("_id", "m-4").append("name", at(7)).append("n", 4L));
        }
    }

    private static List<List<Object>> sortedAnswers(MongoCollection<Document> walks) {
        List<Bson> queries = List.of(new Document(), gte("name", "b"), and(gt("name", "b"), lt("name", "c")),
                eq("name", "b"), lte("name", "b\0"), and(gte("name", "a"), or(eq("n", 3L), eq("n", 7.0))),
                gte("name", 1L), gte("due", at(200)), and(gt("due", at(100)), lte("due", at(300))));
        List<Bson> sorts = List.of(Sorts.ascending("name"), Sorts.ascending("name", "n"),
                Sorts.orderBy(Sorts.ascending("name"), Sorts.descending("_id")),
                Sorts.orderBy(Sorts.ascending("name"), Sorts.descending("n")), Sorts.ascending("due"),
                Sorts.ascending("due", "n"));
        List<List<Object>> answers = new ArrayList<>();
        for (Bson query : queries) {
            for (Bson sort : sorts) {
                answers.add(ids(walks.find(query).sort(sort).batchSize(4)));
                answers.add(ids(walks.find(query).sort(sort).skip(5).limit(7).batchSize(3)));
                answers.add(ids(walks.find(query).sort(sort).limit(1)));
            }
        }
        return answers;
    }

    private List<List<Object>> sortedAnswersOn(Function<String, H2Backend> backend, String file, boolean mixed) {
        try (ServedBackend served = ServedBackend.on(backend.apply(dataDir.resolve(file).toString()))) {
            MongoCollection<Document> walks = served.collection("walks");
            walks.createIndex(Indexes.ascending("name", "n"));
            walks.createIndex(Indexes.ascending("due"));
            insertNamed(walks, mixed);
            return sortedAnswers(walks);
        }
    }

    /**
     * A query sorted by an index's first field is read from the index a batch at a time (OrderedWalk); with strings of
     * every awkward kind, ties broken by the rest of the sort or by the order a scan meets them, skips, limits and
     * batches, the answers are the scan's, also where other types in the field keep the walk to bounded queries.
     */
    @Test
    void queriesSortedByAnIndexedFieldAnswerAsTheFullScanDoes() {
        for (boolean mixed : List.of(false, true)) {
            List<List<Object>> plain = sortedAnswersOn(H2Backend::new, "plain-" + mixed + ".mv", mixed);
            assertThat(sortedAnswersOn(IndexedH2Backend::new, "walked-" + mixed + ".mv", mixed)).as("mixed " + mixed)
                    .isEqualTo(plain);
            assertThat(plain.get(0)).hasSize(mixed ? 95 : 91);
            assertThat(plain.get(3 * 6 * 3)).as("name b, by name").hasSize(13).startsWith(5);
        }
    }

    /** A named document into the collection's map behind the store's back: a scan meets it, an index walk cannot. */
    private static void slipInNamed(IndexedH2Backend backend, String id, String name) {
        backend.getMvStore().<Object, de.bwaldvogel.mongo.bson.Document>openMap("databases.latchkey.walks")
                .put(id, new de.bwaldvogel.mongo.bson.Document("_id", id).append("name", name));
    }

    private static List<Object> byName(MongoCollection<Document> walks) {
        return ids(walks.find().sort(Sorts.ascending("name")).batchSize(2));
    }

    /**
     * A sort by the first field with no condition on it walks the index only while every document holds a string there:
     * another type sorts apart from strings, and a document without a string has no entry to be met by. A document with
     * a number makes it scan from then on, and the next start, which re-adds every document, decides again.
     */
    @Test
    void anUnboundedSortedQueryWalksTheIndexOnlyWhileEveryValueIsAString() {
        String file = dataDir.resolve("named.mv").toString();
        IndexedH2Backend backend = new IndexedH2Backend(file);
        try (ServedBackend served = ServedBackend.on(backend)) {
            MongoCollection<Document> walks = served.collection("walks");
            walks.createIndex(Indexes.ascending("name"));
            walks.insertOne(new Document("_id", "a").append("name", "x"));
            walks.insertOne(new Document("_id", "b").append("name", "y"));
            slipInNamed(backend, "h1", "z");
            assertThat(byName(walks)).as("walked").containsExactly("a", "b");

            walks.updateOne(eq("_id", "b"), Updates.set("name", 5L));
            assertThat(byName(walks)).as("scanned: numbers sort first").containsExactly("b", "a", "h1");
        }
        IndexedH2Backend reopened = new IndexedH2Backend(file);
        try (ServedBackend served = ServedBackend.on(reopened)) {
            MongoCollection<Document> walks = served.collection("walks");
            slipInNamed(reopened, "h2", "w");
            assertThat(byName(walks)).as("still a number at the start").containsExactly("b", "h2", "a", "h1");
            walks.updateOne(eq("_id", "b"), Updates.set("name", "y"));
            assertThat(byName(walks)).as("only the next start decides again").containsExactly("h2", "a", "b", "h1");
        }
        IndexedH2Backend again = new IndexedH2Backend(file);
        try (ServedBackend served = ServedBackend.on(again)) {
            slipInNamed(again, "h3", "v");
            assertThat(byName(served.collection("walks"))).as("walked again").containsExactly("h2", "a", "b", "h1");
        }
    }
}
