package io.latchkey.support.store;

import static com.mongodb.client.model.Filters.eq;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.messaging.MetaData;
import org.bson.BsonBinarySubType;
import org.bson.BsonTimestamp;
import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.Decimal128;
import org.bson.types.MaxKey;
import org.bson.types.MinKey;
import org.bson.types.ObjectId;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Documents in the embedded store's pages as BSON ({@link BsonDocumentType}): every value comes back as the plain
 * backend gives it back, across restarts, from pages either wrote; a page written here stops the plain backend
 * instead of being misread.
 */
class BsonDocumentTypeTest {

    @TempDir
    Path dataDir;

    /**
     * Values of every BSON type the driver sends, nested, and fields in an order no sort would give. A tenth hold a
     * regular expression, which the store keeps as a value without equality: those are written the plain way. A
     * seventh hold a MinKey and a MaxKey, which read from a plain page are instances of their own, equal to no other.
     */
    private static List<Document> documents() {
        List<Document> documents = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            documents.add(new Document("_id", "d" + i).append("z", i).append("a", (long) i << 40)
                    .append("text", "dé\0v-" + "x".repeat(i % 50)).append("at", new Date(1_796_000_000_000L + i))
                    .append("n", i % 2 == 0 ? 1.5 * i : Double.NaN).append("flag", i % 3 == 0)
                    .append("none", null).append("decimal", Decimal128.parse("12345.678" + i))
                    .append("oid", new ObjectId(String.format("64b7f0c2a1b2c3d4e5f6%04x", i)))
                    .append("uuid", new Binary(BsonBinarySubType.UUID_STANDARD, uuid(i))).append("bytes", new Binary(new byte[] {1, 2, (byte) i}))
                    .append("stamp", new BsonTimestamp(i, 7))
                    .append("pattern", i % 10 == 0 ? Pattern.compile("^a.*" + i) : "no pattern")
                    .append("low", i % 7 == 0 ? new MinKey() : "none").append("high", i % 7 == 0 ? new MaxKey() : "none")
                    .append("nested", new Document("list", List.of(1, "two", List.of(3L), new Document("k", i)))
                            .append("empty", new Document())));
        }
        return documents;
    }

    private static byte[] uuid(int i) {
        return ByteBuffer.allocate(16).putLong(i).putLong(-i).array();
    }

    private List<Document> storedOn(Function<String, H2Backend> backend, String file) {
        try (ServedBackend served = ServedBackend.on(backend.apply(dataDir.resolve(file).toString()))) {
            MongoCollection<Document> things = served.collection("things");
            things.insertMany(documents());
            things.updateOne(eq("_id", "d7"), Updates.combine(Updates.set("z", "changed"), Updates.inc("a", 1),
                    Updates.currentDate("touched"), Updates.push("nested.list", 4)));
            things.deleteOne(eq("_id", "d8"));
        }
        try (ServedBackend served = ServedBackend.on(backend.apply(dataDir.resolve(file).toString()))) {
            return served.collection("things").find().sort(Sorts.ascending("_id")).into(new ArrayList<>());
        }
    }

    @Test
    void everyValueComesBackAfterARestartAsFromThePlainBackend() {
        List<Document> plain = storedOn(H2Backend::new, "plain.mv");
        List<Document> bson = storedOn(IndexedH2Backend::new, "bson.mv");
        // $currentDate differs from one run to the other; everything else must not.
        for (List<Document> stored : List.of(plain, bson)) {
            Document changed = stored.stream().filter(d -> d.get("_id").equals("d7")).findFirst().orElseThrow();
            assertThat(changed.remove("touched")).isInstanceOf(Date.class);
            assertThat(changed.get("z")).isEqualTo("changed");
        }
        assertThat(bson).hasSize(299).isEqualTo(plain);
        Document d1 = bson.stream().filter(d -> d.get("_id").equals("d1")).findFirst().orElseThrow();
        assertThat(new ArrayList<>(d1.keySet())).as("field order").startsWith("_id", "z", "a", "text");
        assertThat(new ArrayList<>(d1.get("nested", Document.class).keySet())).containsExactly("list", "empty");
    }

    @Test
    void documentsAreWrittenAsBsonUnlessBsonWouldChangeThem() {
        String file = dataDir.resolve("tags.mv").toString();
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(file))) {
            served.collection("things").insertMany(documents());
        }
        assertThat(writtenAsBson(file, "things", document -> document.get("pattern") instanceof String))
                .containsEntry(true, 270L).containsEntry(false, 0L);
    }

    @Test
    void axonsEventsAreWrittenAsBson() {
        String file = dataDir.resolve("events.mv").toString();
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(file))) {
            List<EventMessage<?>> events = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                events.add(new GenericDomainEventMessage<>("Thing", "thing-" + i % 5, i / 5, "payload-" + i,
                        MetaData.with("traceId", "t-" + i)));
            }
            ServedStore.engineOn(served.template())
                    .storageStrategy(new PagedDocumentPerEventStrategy(served.database(), served.backend()::commit))
                    .build()
                    .appendEvents(events);
        }
        assertThat(writtenAsBson(file, ServedBackend.EVENTS, document -> true)).containsExactly(entry(true, 50L));
    }

    /** How many documents of each group a collection's pages hold as BSON. */
    private static Map<Boolean, Long> writtenAsBson(String file, String collection,
                                                   Function<de.bwaldvogel.mongo.bson.Document, Boolean> group) {
        Map<Boolean, Long> counts = new HashMap<>();
        MVStore store = new MVStore.Builder().fileName(file).readOnly().open();
        try {
            TagReader tags = new TagReader();
            MVMap<Object, de.bwaldvogel.mongo.bson.Document> raw = store.openMap("databases.latchkey." + collection,
                    new MVMap.Builder<Object, de.bwaldvogel.mongo.bson.Document>().keyType(new CompactObjectIdType())
                            .valueType(tags));
            raw.forEach((id, document) -> counts.merge(group.apply(document), tags.asBson.get(document) ? 1L : 0L,
                    Long::sum));
        } finally {
            store.close();
        }
        return counts;
    }

    /** Reads as the store does, and remembers which of the documents it read were written as BSON. */
    private static final class TagReader extends BasicDataType<de.bwaldvogel.mongo.bson.Document> {
        final Map<de.bwaldvogel.mongo.bson.Document, Boolean> asBson = new IdentityHashMap<>();
        private final BsonDocumentType documents = new BsonDocumentType();

        @Override
        public int getMemory(de.bwaldvogel.mongo.bson.Document document) {
            return documents.getMemory(document);
        }

        @Override
        public void write(WriteBuffer out, de.bwaldvogel.mongo.bson.Document document) {
            throw new UnsupportedOperationException("read only");
        }

        @Override
        public de.bwaldvogel.mongo.bson.Document read(ByteBuffer in) {
            boolean bson = in.get(in.position()) == BsonDocumentType.BSON;
            de.bwaldvogel.mongo.bson.Document document = documents.read(in);
            asBson.put(document, bson);
            return document;
        }

        @Override
        public de.bwaldvogel.mongo.bson.Document[] createStorage(int size) {
            return new de.bwaldvogel.mongo.bson.Document[size];
        }
    }

    @Test
    void pagesThePlainBackendWroteAreReadAndRewritten() {
        String file = dataDir.resolve("upgraded.mv").toString();
        List<Document> written;
        try (ServedBackend served = ServedBackend.on(new H2Backend(file))) {
            served.collection("things").insertMany(documents());
            written = served.collection("things").find().sort(Sorts.ascending("_id")).into(new ArrayList<>());
        }
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(file))) {
            MongoCollection<Document> things = served.collection("things");
            assertThat(things.find().sort(Sorts.ascending("_id")).into(new ArrayList<>())).isEqualTo(written);
            things.updateMany(eq("flag", true), Updates.set("flag", "rewritten"));
        }
        written.stream().filter(d -> Boolean.TRUE.equals(d.get("flag"))).forEach(d -> d.put("flag", "rewritten"));
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(file))) {
            assertThat(served.collection("things").find().sort(Sorts.ascending("_id")).into(new ArrayList<>()))
                    .isEqualTo(written);
        }
        Function<Map<String, Object>, Boolean> rewritable = document -> "rewritten".equals(document.get("flag"))
                && document.get("pattern") instanceof String && document.get("low") instanceof String;
        assertThat(writtenAsBson(file, "things", rewritable::apply)).as("the documents changed, now BSON")
                .containsEntry(true, written.stream().filter(rewritable::apply).count());
    }

    @Test
    void aPlainBackendRefusesAStoreWrittenHereInsteadOfMisreadingIt() {
        String file = dataDir.resolve("newer.mv").toString();
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(file))) {
            served.collection("things").insertMany(documents());
        }
        assertThatThrownBy(() -> {
            try (ServedBackend served = ServedBackend.on(new H2Backend(file))) {
                served.collection("things").find().into(new ArrayList<>());
            }
        }).satisfies(refused -> assertThat(causes(refused))
                .anyMatch(cause -> String.valueOf(cause.getMessage()).contains("Unknown tag 127")));
    }

    /** Opening may fail (rebuilding an index reads documents) or the first read may, reported over the wire. */
    private static List<Throwable> causes(Throwable thrown) {
        List<Throwable> causes = new ArrayList<>();
        for (Throwable cause = thrown; cause != null; cause = cause.getCause()) {
            causes.add(cause);
        }
        return causes;
    }

    @Test
    void aPageMixingBothFormsIsReadBackWhole() {
        var plain = new de.bwaldvogel.mongo.bson.Document("_id", 1).append("when", new Date(5));
        var bson = new de.bwaldvogel.mongo.bson.Document("_id", 2).append("n", List.of(1, 2L, 3.0));
        var nul = new de.bwaldvogel.mongo.bson.Document("_id", 3).append("a\0b", "named with NUL");
        BsonDocumentType type = new BsonDocumentType();
        WriteBuffer out = new WriteBuffer();
        type.write(out, new de.bwaldvogel.mongo.bson.Document[] {bson, plain, nul, bson}, 4);
        ByteBuffer page = out.getBuffer();
        page.flip();
        de.bwaldvogel.mongo.bson.Document[] read = type.createStorage(4);
        type.read(page, read, 4);
        assertThat(read).containsExactly(bson, plain, nul, bson);
        assertThat(page.hasRemaining()).isFalse();
    }

    @Test
    void aDocumentBsonWouldChangeIsWrittenThePlainWay() {
        var document = new de.bwaldvogel.mongo.bson.Document("_id", "x").append("when", new Date(5))
                .append("count", 3);
        assertThat(BsonDocumentType.faithfulBson(document)).as("the store's encoder has no Date").isNull();
        var instant = new de.bwaldvogel.mongo.bson.Document("_id", "y").append("when", Instant.ofEpochMilli(5))
                .append("count", 3);
        assertThat(BsonDocumentType.faithfulBson(instant)).isNotNull();

        BsonDocumentType type = new BsonDocumentType();
        for (var original : List.of(document, instant)) {
            WriteBuffer out = new WriteBuffer();
            type.write(out, original);
            ByteBuffer written = out.getBuffer();
            written.flip();
            assertThat(written.get(0) == BsonDocumentType.BSON).isEqualTo(original == instant);
            assertThat(type.read(written)).isEqualTo(original);
            assertThat(written.hasRemaining()).isFalse();
        }
    }
}
