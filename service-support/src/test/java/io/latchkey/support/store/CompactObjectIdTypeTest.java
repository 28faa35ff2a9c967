package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Sorts;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.ObjectId;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.WriteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompactObjectIdTypeTest {

    @TempDir
    Path dataDir;

    @Test
    void anObjectIdIsWrittenAsItsBytesAndOtherValuesAsBefore() {
        ObjectId id = new ObjectId();
        Object[] positions = {id, "k1", 42L, 7, new ObjectId()};
        CompactObjectIdType type = new CompactObjectIdType();
        WriteBuffer out = new WriteBuffer();
        type.write(out, positions, positions.length);
        ByteBuffer page = out.getBuffer();
        page.flip();
        assertThat(page.get(0)).isEqualTo(CompactObjectIdType.OBJECT_ID);
        Object[] read = type.createStorage(positions.length);
        type.read(page, read, positions.length);
        assertThat(read).containsExactly(positions);
        assertThat(page.hasRemaining()).isFalse();

        WriteBuffer one = new WriteBuffer();
        type.write(one, id);
        assertThat(one.position()).as("a tag and 12 bytes").isEqualTo(13);
    }

    @Test
    void entriesAnEarlierReleaseWroteAreReadAndKeptBesideNewOnes() {
        String file = dataDir.resolve("index.mv").toString();
        ObjectId before = new ObjectId();
        try (MVStore store = MVStore.open(file)) {
            // As the index maps were opened before: values through H2's ObjectDataType (Java serialization).
            MVMap<String, Object> entries = store.openMap("latchkey.index.2.db.c$i");
            entries.put("old", before);
            entries.put("text", "k1");
        }
        ObjectId after = new ObjectId();
        try (MVStore store = MVStore.open(file)) {
            MVMap<String, Object> entries = store.openMap("latchkey.index.2.db.c$i",
                    new MVMap.Builder<String, Object>().valueType(new CompactObjectIdType()));
            assertThat(entries).containsExactlyInAnyOrderEntriesOf(Map.of("old", before, "text", "k1"));
            entries.put("new", after);
        }
        try (MVStore store = MVStore.open(file)) {
            MVMap<String, Object> entries = store.openMap("latchkey.index.2.db.c$i",
                    new MVMap.Builder<String, Object>().valueType(new CompactObjectIdType()));
            assertThat(entries).containsExactlyInAnyOrderEntriesOf(Map.of("old", before, "text", "k1", "new", after));
        }
    }

    @Test
    void collectionsKeyDocumentsByCompactObjectIdsBesideThoseAnEarlierReleaseWrote() {
        String file = dataDir.resolve("keys.mv").toString();
        try (ServedBackend plain = ServedBackend.on(new H2Backend(file))) {
            plain.collection("things").insertMany(List.of(new Document("n", 1), new Document("n", 2)));
        }
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(file))) {
            served.collection("things").insertOne(new Document("n", 3));
            assertThat(served.backend().getMvStore().openMap("databases.latchkey.things").getKeyType())
                    .isInstanceOf(CompactObjectIdType.class);
            assertThat(inIdOrder(served.collection("things"))).containsExactly(1, 2, 3);
        }
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(file))) {
            MongoCollection<Document> things = served.collection("things");
            assertThat(inIdOrder(things)).containsExactly(1, 2, 3);
            for (int n = 1; n <= 3; n++) {
                Object id = things.find(new Document("n", n)).first().get("_id");
                assertThat(things.find(new Document("_id", id)).first().getInteger("n")).isEqualTo(n);
            }
        }
    }

    private static List<Integer> inIdOrder(MongoCollection<Document> things) {
        return things.find().sort(Sorts.ascending("_id")).map(found -> found.getInteger("n")).into(new ArrayList<>());
    }
}
