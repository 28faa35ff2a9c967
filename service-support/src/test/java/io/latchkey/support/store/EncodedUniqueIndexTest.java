package io.latchkey.support.store;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.in;
import static com.mongodb.client.model.Filters.regex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.function.Function;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unique indexes in the embedded store ({@link EncodedUniqueIndex}), over TCP with the MongoDB driver: they refuse and
 * find exactly what the plain backend's do, take over a store the plain backend wrote, and are rebuilt when a crash
 * left them out of step with their collection.
 */
class EncodedUniqueIndexTest {

    @TempDir
    Path dataDir;

    private static final String ENTRIES = "latchkey$unique.1.latchkey.things$";

    /** As Axon's events are indexed (aggregate and sequence; event id), plus a single field holding anything. */
    private static void index(MongoCollection<Document> things) {
        things.createIndex(Indexes.ascending("aggregate", "sequence"), new IndexOptions().unique(true));
        things.createIndex(Indexes.ascending("eventId"), new IndexOptions().unique(true));
        things.createIndex(Indexes.ascending("any"), new IndexOptions().unique(true).sparse(true));
    }

    /** Values of every type the store keeps, and pairs that are equal, alike or equal only in some types. */
    private static List<Object> values() {
        List<Object> values = new ArrayList<>(List.of("a", "a\0", "", "A", "é", "\uD83D\uDD11", "x".repeat(70_000),
                1, 1L, 1.0, -0.0, 0.0, Double.NaN, Long.MIN_VALUE, Long.MAX_VALUE, (1L << 53) + 1, Integer.MIN_VALUE,
                true, false,
                new Date(0), new Date(-1), new ObjectId("64b7f0c2a1b2c3d4e5f60718"), new Document("k", "v"),
                new Document("k", 1), List.of("p", "q"), List.of()));
        values.add(null);
        values.addAll(new ArrayList<>(values));
        values.add(new ObjectId("64b7f0c2a1b2c3d4e5f60718"));
        values.add(new Document("k", "v"));
        return values;
    }

    /** What each insert, lookup and update answered, in order: the same on both backends. */
    private List<Object> answersOn(Function<String, H2Backend> backend, String file) {
        List<Object> answers = new ArrayList<>();
        try (ServedBackend served = ServedBackend.on(backend.apply(dataDir.resolve(file).toString()))) {
            MongoCollection<Document> things = served.collection("things");
            index(things);
            List<Object> values = values();
            for (int i = 0; i < values.size(); i++) {
                Object value = values.get(i);
                answers.add(inserted(things, new Document("_id", "any-" + i).append("any", value)));
                answers.add(inserted(things, new Document("_id", "pair-" + i).append("aggregate", value)
                        .append("sequence", (long) (i % 3)).append("eventId", "e" + i)));
                answers.add(inserted(things, new Document("_id", "id-" + i).append("eventId",
                        value instanceof String string ? string : "e" + (i % 40))));
            }
            lookUp(things, values, answers);
            answers.add(ids(things.find(in("eventId", "e1", "e2", "a", "nothing"))));
            answers.add(ids(things.find(regex("any", "^a"))));
            answers.add(ids(things.find(eq("_id", "pair-4"))));
            answers.add(updated(things, "pair-4", "eventId", "e1"));
            answers.add(updated(things, "pair-4", "eventId", "e-new"));
            answers.add(inserted(things, new Document("_id", "late").append("eventId", "e4")));
            answers.add(things.deleteOne(eq("_id", "id-5")).getDeletedCount());
            answers.add(inserted(things, new Document("_id", "after-delete").append("eventId", "e5")));
            answers.add(inserted(things, new Document("_id", "any-0")));
        }
        // What the file holds answers the same after a restart.
        try (ServedBackend served = ServedBackend.on(backend.apply(dataDir.resolve(file).toString()))) {
            MongoCollection<Document> things = served.collection("things");
            lookUp(things, values(), answers);
            for (int i = 0; i < values().size(); i++) {
                answers.add(inserted(things, new Document("_id", "again-" + i).append("any", values().get(i))));
            }
        }
        return answers;
    }

    private static void lookUp(MongoCollection<Document> things, List<Object> values, List<Object> answers) {
        for (Object value : values) {
            answers.add(ids(things.find(eq("any", value))));
            answers.add(ids(things.find(and(eq("aggregate", value), eq("sequence", 1L)))));
        }
    }

    private static Object inserted(MongoCollection<Document> things, Document document) {
        try {
            things.insertOne(document);
            return "inserted";
        } catch (MongoWriteException e) {
            return e.getError().getCode();
        }
    }

    private static Object updated(MongoCollection<Document> things, String id, String field, Object value) {
        try {
            return things.updateOne(eq("_id", id), Updates.set(field, value)).getModifiedCount();
        } catch (MongoWriteException e) {
            return e.getError().getCode();
        }
    }

    private static List<Object> ids(Iterable<Document> found) {
        List<Object> ids = new ArrayList<>();
        found.forEach(document -> ids.add(document.get("_id")));
        ids.sort((a, b) -> String.valueOf(a).compareTo(String.valueOf(b)));
        return ids;
    }

    @Test
    void uniqueIndexesRefuseAndFindExactlyWhatThePlainBackendsDo() {
        List<Object> plain = answersOn(H2Backend::new, "plain.mv");
        assertThat(answersOn(IndexedH2Backend::new, "encoded.mv")).isEqualTo(plain);
        assertThat(plain).as("duplicates were refused").contains(11000).as("and others inserted").contains("inserted");
    }

    @Test
    void everyStoredValueComesBackFromItsEncoding() {
        List<Object> values = new ArrayList<>(values());
        values.add(Missing.getInstance());
        values.add(new de.bwaldvogel.mongo.bson.ObjectId("64b7f0c2a1b2c3d4e5f60718"));
        values.add(new de.bwaldvogel.mongo.bson.Document("k", List.of(1, "two")));
        values.replaceAll(value -> value instanceof Document || value instanceof ObjectId ? String.valueOf(value)
                : value);
        for (int i = 0; i < values.size(); i++) {
            KeyValue single = new KeyValue(values.get(i));
            KeyValue pair = new KeyValue(values.get(i), values.get((i + 7) % values.size()));
            assertThat(EncodedUniqueIndex.decode(EncodedUniqueIndex.encode(single))).isEqualTo(single);
            assertThat(EncodedUniqueIndex.decode(EncodedUniqueIndex.encode(pair))).isEqualTo(pair);
        }
        assertThat(EncodedUniqueIndex.encode(new KeyValue("ab", "c")))
                .isNotEqualTo(EncodedUniqueIndex.encode(new KeyValue("a", "bc")));
        assertThat(EncodedUniqueIndex.encode(new KeyValue(1))).isNotEqualTo(EncodedUniqueIndex.encode(new KeyValue(1L)));
    }

    /** A store of fifty things with their unique indexes, as a release before the encoded indexes wrote it. */
    private String writtenByThePlainBackend(String name) {
        String file = dataDir.resolve(name).toString();
        try (ServedBackend served = ServedBackend.on(new H2Backend(file))) {
            MongoCollection<Document> things = served.collection("things");
            index(things);
            for (int i = 0; i < 50; i++) {
                things.insertOne(new Document("_id", "t" + i).append("aggregate", "agg-" + i / 10)
                        .append("sequence", (long) i % 10).append("eventId", "e" + i));
            }
        }
        return file;
    }

    @Test
    void aStoreWrittenByThePlainBackendKeepsItsConstraintsUnderTheEncodedIndexes() {
        String file = writtenByThePlainBackend("upgraded.mv");
        IndexedH2Backend backend = new IndexedH2Backend(file);
        try (ServedBackend served = ServedBackend.on(backend)) {
            MongoCollection<Document> things = served.collection("things");
            assertThat(inserted(things, new Document("_id", "t7"))).isEqualTo(11000);
            assertThat(inserted(things, new Document("_id", "new").append("aggregate", "agg-2").append("sequence", 3L)))
                    .isEqualTo(11000);
            assertThat(inserted(things, new Document("_id", "new").append("eventId", "e49"))).isEqualTo(11000);
            assertThat(inserted(things, new Document("_id", "new").append("aggregate", "agg-2").append("sequence", 10L)
                    .append("eventId", "e50"))).isEqualTo("inserted");
            assertThat(ids(things.find(and(eq("aggregate", "agg-4"), eq("sequence", 2L))))).containsExactly("t42");
            assertThat(backend.getMvStore().getMapNames()).as("the plain backend's unique maps")
                    .noneMatch(name -> name.contains("._index_"))
                    .contains(ENTRIES + "_id_", ENTRIES + "eventId_1", ENTRIES + "aggregate_1_sequence_1");
            assertThat(backend.getMvStore().openMap(ENTRIES + "eventId_1").sizeAsLong()).isEqualTo(51);
        }
    }

    /**
     * A plain map is opened to be retired with types that compare its keys, as a compaction rewriting its pages in the
     * meantime needs: H2's generic types (what {@code removeMap(name)} opens it with) cannot, and the store closes.
     */
    @Test
    void aPlainMapIsRetiredOpenedWithTypesThatCompareItsKeys() {
        MVStore store = MVStore.open(writtenByThePlainBackend("plain.mv"));
        try {
            String plain = store.getMapNames().stream().filter(name -> name.endsWith("._index_eventId_1")).findFirst()
                    .orElseThrow();
            MVMap<Object, Object> retired = EncodedUniqueIndex.openedAsPlain(store, plain);
            assertThat(retired.getKeyType().compare(retired.firstKey(), retired.lastKey())).isNegative();
            assertThat(retired.sizeAsLong()).isEqualTo(50);
        } finally {
            store.close();
        }
    }

    private static Document dup() {
        return new Document("_id", "dup").append("aggregate", "b").append("sequence", 0L).append("eventId", "e3");
    }

    @Test
    void anIndexOutOfStepWithItsCollectionIsRebuiltWhenTheStoreOpens() {
        String file = dataDir.resolve("crashed.mv").toString();
        IndexedH2Backend backend = new IndexedH2Backend(file);
        try (ServedBackend served = ServedBackend.on(backend)) {
            MongoCollection<Document> things = served.collection("things");
            index(things);
            for (int i = 0; i < 20; i++) {
                things.insertOne(event(i));
            }
            // As a crash between a document and its entry leaves it: the document without its entry.
            MVMap<String, Object> entries = backend.getMvStore().openMap(ENTRIES + "eventId_1");
            entries.remove(EncodedUniqueIndex.encode(new KeyValue("e3")));
            assertThat(inserted(things, dup())).as("the lost entry refuses nothing").isEqualTo("inserted");
            // Deleting the duplicate takes its entry, so the index is one short of the collection again.
            things.deleteOne(eq("_id", "dup"));
        }
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(file))) {
            MongoCollection<Document> things = served.collection("things");
            assertThat(inserted(things, dup())).isEqualTo(11000);
            assertThat(ids(things.find(eq("eventId", "e3")))).containsExactly("t3");
        }
    }

    private static Document event(int i) {
        return new Document("_id", "t" + i).append("aggregate", "a").append("sequence", (long) i)
                .append("eventId", "e" + i);
    }

    /**
     * As a start whose build was cut short leaves it (the plain backend's map is removed only once the build is
     * done): entries that agree with the collection in number but not in content.
     */
    @Test
    void anIndexWhosePlainMapIsStillThereIsBuiltAgainFromItsCollection() {
        String file = dataDir.resolve("interrupted.mv").toString();
        IndexedH2Backend backend = new IndexedH2Backend(file);
        try (ServedBackend served = ServedBackend.on(backend)) {
            index(served.collection("things"));
            for (int i = 0; i < 10; i++) {
                served.collection("things").insertOne(event(i));
            }
            MVMap<String, Object> entries = backend.getMvStore().openMap(ENTRIES + "eventId_1");
            entries.remove(EncodedUniqueIndex.encode(new KeyValue("e3")));
            entries.put(EncodedUniqueIndex.encode(new KeyValue("e99")), "t3");
            backend.getMvStore().openMap("latchkey.things._index_eventId_1").put("left", "behind");
        }
        IndexedH2Backend reopened = new IndexedH2Backend(file);
        try (ServedBackend served = ServedBackend.on(reopened)) {
            MongoCollection<Document> things = served.collection("things");
            assertThat(inserted(things, event(11).append("eventId", "e3"))).isEqualTo(11000);
            assertThat(inserted(things, event(12).append("eventId", "e99"))).isEqualTo("inserted");
            assertThat(reopened.getMvStore().hasMap("latchkey.things._index_eventId_1")).isFalse();
        }
    }
}
