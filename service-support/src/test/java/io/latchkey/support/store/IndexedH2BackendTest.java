package io.latchkey.support.store;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gt;
import static com.mongodb.client.model.Filters.gte;
import static com.mongodb.client.model.Filters.lt;
import static com.mongodb.client.model.Filters.nin;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOptions;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The indexed backend against the plain one, over TCP with the MongoDB driver: the same documents, Axon's own query
 * shapes, the same answers.
 */
class IndexedH2BackendTest {

    @TempDir
    Path dataDir;

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final Random random = new Random(7);

    /** As Axon writes timestamps: always three or more digits of fraction, so that they sort as strings. */
    private static String at(int millis) {
        return STAMP.format(Instant.ofEpochMilli(1_796_000_000_000L + millis));
    }

    /** Ids out of insertion order, so that a scan (which meets documents by id) and the index see them differently. */
    private Document event(int i, int millis) {
        return new Document("_id", String.format("id-%05d", (i * 7_919) % 10_007))
                .append("aggregateIdentifier", "key-" + (i % 7)).append("sequenceNumber", (long) (i / 7))
                .append("eventIdentifier", "event-" + i).append("timestamp", at(millis))
                .append("payload", "p" + i);
    }

    /** Axon's tracking fetch: from a timestamp, minus the events already seen, by timestamp and sequence. */
    private static List<String> fetch(MongoCollection<Document> events, String from, List<String> known) {
        return fetch(events, from, known, 0, 0);
    }

    private static List<String> fetch(MongoCollection<Document> events, String from, List<String> known, int skip,
                                      int limit) {
        Bson query = known.isEmpty() ? gte("timestamp", from)
                : and(gte("timestamp", from), nin("eventIdentifier", known));
        List<String> found = new ArrayList<>();
        events.find(query).sort(Sorts.ascending("timestamp", "sequenceNumber")).skip(skip).limit(limit).batchSize(7)
                .forEach(document -> found.add(document.getString("eventIdentifier")));
        return found;
    }

    private List<List<String>> fetches(MongoCollection<Document> events, int upTo) {
        List<List<String>> answers = new ArrayList<>();
        for (int millis = -50; millis < upTo + 50; millis += 7) {
            answers.add(fetch(events, at(millis), List.of()));
            answers.add(fetch(events, at(millis), List.of("event-" + random.nextInt(upTo), "event-3")));
            answers.add(fetch(events, at(millis), List.of(), 2, 5));
            // Without a sort, in no order that MongoDB promises: the same documents.
            List<String> unsorted = new ArrayList<>();
            events.find(gte("timestamp", at(millis))).forEach(d -> unsorted.add(d.getString("eventIdentifier")));
            unsorted.sort(null);
            answers.add(unsorted);
        }
        List<String> loaded = new ArrayList<>();
        events.find(eq("aggregateIdentifier", "key-3")).sort(Sorts.ascending("sequenceNumber"))
                .forEach(document -> loaded.add(document.getString("eventIdentifier")));
        answers.add(loaded);
        return answers;
    }

    @Test
    void answersAxonsFetchesAsTheFullScanDoes() {
        List<Document> written = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            // Rising with jitter, a few stamped a little back, and ties.
            written.add(event(i, i * 3 - (random.nextInt(8) == 0 ? random.nextInt(40) : 0)));
        }
        // Ties in timestamp and sequence both, from different aggregates: the scan's order (by id) decides.
        written.add(event(300, 450).append("sequenceNumber", 64L).append("aggregateIdentifier", "key-x"));
        written.add(event(301, 450).append("sequenceNumber", 64L).append("aggregateIdentifier", "key-y"));
        try (ServedBackend plain = ServedBackend.on(H2Backend.inMemory());
             ServedBackend indexed = ServedBackend.on(new IndexedH2Backend(dataDir.resolve("indexed.mv").toString()))) {
            ServedBackend.withAxonIndexes(plain.events());
            ServedBackend.withAxonIndexes(indexed.events());
            written.forEach(document -> plain.events().insertOne(new Document(document)));
            written.forEach(document -> indexed.events().insertOne(new Document(document)));
            random.setSeed(11);
            List<List<String>> expected = fetches(plain.events(), 900);
            random.setSeed(11);
            List<List<String>> actual = fetches(indexed.events(), 900);

            assertThat(actual).isEqualTo(expected);
            assertThat(actual.get(actual.size() - 1)).hasSize(43);
            // Axon's first fetch of a processor that has seen nothing: every event, by timestamp, a batch at a time.
            List<String> everything = new ArrayList<>();
            indexed.events().find().sort(Sorts.ascending("timestamp", "sequenceNumber")).batchSize(7)
                    .forEach(document -> everything.add(document.getString("eventIdentifier")));
            List<String> scanned = new ArrayList<>();
            plain.events().find().sort(Sorts.ascending("timestamp", "sequenceNumber")).batchSize(7)
                    .forEach(document -> scanned.add(document.getString("eventIdentifier")));
            assertThat(everything).hasSize(302).isEqualTo(scanned);
        }
    }

    @Test
    void aStoreWrittenBeforeIsIndexedWholeWhenItsIndexIsDeclared() {
        String file = dataDir.resolve("store.mv").toString();
        try (ServedBackend before = ServedBackend.on(new H2Backend(file))) {
            for (int i = 0; i < 20; i++) {
                before.events().insertOne(event(i, i * 10));
            }
        }

        try (ServedBackend after = ServedBackend.on(new IndexedH2Backend(file))) {
            ServedBackend.withAxonIndexes(after.events()).insertOne(event(20, 500));

            assertThat(fetch(after.events(), at(0), List.of())).hasSize(21).startsWith("event-0")
                    .endsWith("event-20");
            assertThat(fetch(after.events(), at(195), List.of("event-20"))).isEmpty();
            assertThat(fetch(after.events(), at(185), List.of())).containsExactly("event-19", "event-20");
        }
    }

    @Test
    void aDocumentChangedInPlaceIsFoundByItsNewTimestamp() {
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(dataDir.resolve("changed.mv").toString()))) {
            ServedBackend.withAxonIndexes(served.events()).insertOne(event(0, 0));
            served.events().insertOne(event(1, 10));
            served.events().updateOne(eq("eventIdentifier", "event-0"),
                    new Document("$set", new Document("timestamp", at(100))));

            assertThat(fetch(served.events(), at(50), List.of())).containsExactly("event-0");
            served.events().deleteOne(eq("eventIdentifier", "event-0"));
            served.events().insertOne(event(2, 20));
            assertThat(fetch(served.events(), at(15), List.of())).containsExactly("event-2");
            assertThat(fetch(served.events(), at(0), List.of())).containsExactly("event-1", "event-2");
        }
    }

    @Test
    void aFetchReadsTheIndexNotTheCollection() {
        IndexedH2Backend backend = new IndexedH2Backend(dataDir.resolve("head.mv").toString());
        try (ServedBackend served = ServedBackend.on(backend)) {
            ServedBackend.withAxonIndexes(served.events()).insertOne(event(0, 0));
            // Slipped into the collection's map past the collection: a scan sees it, the index does not.
            backend.getMvStore().<Object, de.bwaldvogel.mongo.bson.Document>openMap(
                    "databases.latchkey." + ServedBackend.EVENTS).put("hidden",
                    new de.bwaldvogel.mongo.bson.Document("_id", "hidden").append("eventIdentifier", "hidden")
                            .append("timestamp", at(100)).append("sequenceNumber", 0L));

            assertThat(fetch(served.events(), at(50), List.of())).isEmpty();
            assertThat(fetch(served.events(), at(50), List.of("event-9"))).isEmpty();
            List<String> scanned = new ArrayList<>();
            served.events().find(eq("eventIdentifier", "hidden")).forEach(d -> scanned.add(d.getString("_id")));
            assertThat(scanned).containsExactly("hidden");
        }
    }

    @Test
    void aFetchByPositionReadsThePositionIndexNotTheCollection() {
        IndexedH2Backend backend = new IndexedH2Backend(dataDir.resolve("positions.mv").toString());
        try (ServedBackend served = ServedBackend.on(backend)) {
            MongoCollection<Document> events = served.events();
            events.createIndex(Indexes.ascending(EventPositions.FIELD));
            for (int position = 1; position <= 3; position++) {
                events.insertOne(event(position, position).append(EventPositions.FIELD, (long) position));
            }
            // Slipped into the collection's map past the collection: a scan sees it, the index does not.
            backend.getMvStore().<Object, de.bwaldvogel.mongo.bson.Document>openMap(
                    "databases.latchkey." + ServedBackend.EVENTS).put("hidden",
                    new de.bwaldvogel.mongo.bson.Document("_id", "hidden").append(EventPositions.FIELD, 4L));

            List<Object> read = new ArrayList<>();
            events.find(gt(EventPositions.FIELD, 1L)).sort(Sorts.ascending(EventPositions.FIELD)).limit(10)
                    .forEach(document -> read.add(document.get(EventPositions.FIELD)));
            assertThat(read).containsExactly(2L, 3L);
            assertThat(events.countDocuments(eq("_id", "hidden"))).as("a scan").isEqualTo(1);
        }
    }

    /**
     * The first batch of a fetch far behind the head is read, and the rest only as the client asks for it: an event
     * appended after the first batch, which a fetch that had found every match up front could not know, comes with
     * the next; one removed is not named, and one moved later is named once, at its new place.
     */
    @Test
    void aFetchFromFarBackReadsABatchAtATime() {
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(dataDir.resolve("far.mv").toString()))) {
            MongoCollection<Document> events = ServedBackend.withAxonIndexes(served.events());
            for (int i = 0; i < 1_000; i++) {
                events.insertOne(event(i, i));
            }
            List<String> read = new ArrayList<>();
            try (MongoCursor<Document> fetch = events.find(gte("timestamp", at(0)))
                    .sort(Sorts.ascending("timestamp", "sequenceNumber")).batchSize(10).iterator()) {
                read.add(fetch.next().getString("eventIdentifier"));
                events.insertOne(event(1_000, 5_000));
                events.deleteOne(eq("eventIdentifier", "event-500"));
                events.updateOne(eq("eventIdentifier", "event-600"),
                        new Document("$set", new Document("timestamp", at(6_000))));
                fetch.forEachRemaining(document -> read.add(document.getString("eventIdentifier")));
            }

            assertThat(read).hasSize(1_000).doesNotContain("event-500").startsWith("event-0", "event-1")
                    .endsWith("event-999", "event-1000", "event-600");
            assertThat(read.stream().filter("event-600"::equals)).hasSize(1);
        }
    }

    /** Read-model-like documents with string ids in and out of order, and queries that name their _id. */
    private static List<List<String>> keyedAnswers(MongoCollection<Document> things) {
        List<List<String>> answers = new ArrayList<>();
        List<Bson> queries = List.of(
                new Document("_id", "k|0007").append("v", 7L),
                new Document("_id", "k|0007").append("v", 8L),
                new Document("_id", "absent").append("v", 7L),
                and(eq("_id", "k|0007"), eq("v", 7L)),
                new Document("_id", new Document("$gte", "k|0010").append("$lt", "k|0020")),
                new Document("_id", new Document("$gt", "k|0010").append("$lte", "k|0020")).append("odd", true),
                new Document("_id", new Document("$gte", "k|0040")),
                new Document("_id", new Document("$gte", "k|0010").append("$lt", "k|0020\u00e9")),
                new Document("_id", new Document("$gte", 5).append("$lt", 50)),
                new Document("_id", new Document("$gte", "k|0010").append("$lt", 50)),
                new Document("_id", new Document("$gte", "k|0010").append("$ne", "k|0011")),
                and(gte("_id", "k|0030"), lt("_id", "k|0035"), gte("v", 31L)),
                new Document("_id", new Document("$gte", "a").append("$lt", "z")).append("v", new Document("$gte", 30L)));
        for (Bson query : queries) {
            List<String> found = new ArrayList<>();
            things.find(query).forEach(d -> found.add(String.valueOf(d.get("_id"))));
            answers.add(found);
            List<String> sorted = new ArrayList<>();
            things.find(query).sort(Sorts.descending("v")).skip(1).limit(3)
                    .forEach(d -> sorted.add(String.valueOf(d.get("_id"))));
            answers.add(sorted);
            // Up the ids, which the walk of an id range answers without sorting; the other orders are sorted.
            for (Bson order : List.of(Sorts.ascending("_id"), Sorts.descending("_id"), new Document("_id", 1L),
                    new Document("_id", 1.0), Sorts.orderBy(Sorts.ascending("_id"), Sorts.descending("v")))) {
                List<String> byId = new ArrayList<>();
                things.find(query).sort(order).skip(1).limit(3).forEach(d -> byId.add(String.valueOf(d.get("_id"))));
                answers.add(byId);
            }
        }
        return answers;
    }

    private static void insertThings(MongoCollection<Document> things) {
        for (int i = 49; i >= 0; i--) {
            things.insertOne(new Document("_id", String.format("k|%04d", i)).append("v", (long) i)
                    .append("odd", i % 2 == 1));
        }
        things.insertOne(new Document("_id", 17).append("v", 17L));
        things.insertOne(new Document("_id", "k|0015é").append("v", 15L));
    }

    @Test
    void queriesNamingAnIdAnswerAsTheFullScanDoes() {
        List<List<String>> plain;
        try (ServedBackend served = ServedBackend.on(new H2Backend(dataDir.resolve("plain-keyed.mv").toString()))) {
            MongoCollection<Document> things = served.collection("things");
            insertThings(things);
            plain = keyedAnswers(things);
        }
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(dataDir.resolve("keyed.mv").toString()))) {
            MongoCollection<Document> things = served.collection("things");
            insertThings(things);
            assertThat(keyedAnswers(things)).isEqualTo(plain);
            assertThat(plain.get(0)).containsExactly("k|0007");
            assertThat(plain.get(28)).containsExactly("k|0010", "k|0011", "k|0012", "k|0013", "k|0014", "k|0015",
                    "k|0015\u00e9", "k|0016", "k|0017", "k|0018", "k|0019");
            assertThat(plain.get(49)).containsExactly("k|0010", "k|0011", "k|0012", "k|0013", "k|0014", "k|0015",
                    "k|0015é", "k|0016", "k|0017", "k|0018", "k|0019", "k|0020");
            assertThat(plain.get(30)).as("up the ids").containsExactly("k|0011", "k|0012", "k|0013");
            assertThat(plain.get(31)).as("down the ids").containsExactly("k|0018", "k|0017", "k|0016");
            assertThat(plain.get(44)).as("up the ids").containsExactly("k|0041", "k|0042", "k|0043");
        }
    }

    @Test
    void anUpsertNamingAnIdAndAVersionFindsItsDocumentWithoutAScan() {
        IndexedH2Backend backend = new IndexedH2Backend(dataDir.resolve("upsert.mv").toString());
        try (ServedBackend served = ServedBackend.on(backend)) {
            MongoCollection<Document> things = served.collection("things");
            assertThat(applyOnce(things, "k|0001", 1)).isTrue();
            assertThat(applyOnce(things, "k|0001", 2)).isTrue();
            assertThat(applyOnce(things, "k|0001", 2)).as("applied already").isFalse();
            assertThat(things.find(eq("_id", "k|0001")).first()).containsEntry("n", 2L).containsEntry("applied", 2L);
            // Slipped into the map under a key its _id does not name: a scan sees it, a lookup by _id does not.
            backend.getMvStore().<Object, de.bwaldvogel.mongo.bson.Document>openMap("databases.latchkey.things")
                    .put("h-slipped", new de.bwaldvogel.mongo.bson.Document("_id", "ghost").append("v", 1L));

            assertThat(things.find(eq("v", 1L)).first()).as("a scan").isNotNull();
            assertThat(things.find(new Document("_id", "ghost").append("v", 1L)).first()).as("a lookup").isNull();
            assertThat(things.find(and(eq("_id", "ghost"), eq("v", 1L))).first()).as("in an $and").isNull();
            assertThat(things.find(new Document("_id", new Document("$gte", "g").append("$lt", "h")).append("v", 1L))
                    .first()).as("a range walk").isNull();
            assertThat(things.updateOne(new Document("_id", "ghost").append("v", 1L), new Document("$set",
                    new Document("w", 1L))).getMatchedCount()).as("an update").isZero();
        }
    }

    /** The usage read model's write: counts a report unless the document has it already; false when it had. */
    private static boolean applyOnce(MongoCollection<Document> things, String id, long report) {
        try {
            things.updateOne(new Document("_id", id).append("applied", new Document("$not",
                            new Document("$gte", report))),
                    new Document("$inc", new Document("n", 1L)).append("$set", new Document("applied", report)),
                    new UpdateOptions().upsert(true));
            return true;
        } catch (MongoWriteException duplicate) {
            assertThat(duplicate.getError().getCode()).isEqualTo(11_000);
            return false;
        }
    }
}
