package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Sorts;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.ObjectId;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.bson.Document;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
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
        List<Object> before = new ArrayList<>();
        try (ServedBackend plain = ServedBackend.on(new H2Backend(file))) {
            // Enough for several pages, so that pages holding only keys of the earlier form remain after new writes.
            plain.collection("things").insertMany(numbered(0, 200));
            plain.collection("things").find().sort(Sorts.ascending("n")).forEach(thing -> before.add(thing.get("_id")));
        }
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(file))) {
            served.collection("things").insertMany(numbered(200, 210));
            assertThat(served.backend().getMvStore().openMap("databases.latchkey.things").getKeyType())
                    .isInstanceOf(CompactObjectIdType.class);
        }
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(file))) {
            MongoCollection<Document> things = served.collection("things");
            for (int n = 0; n < 200; n += 37) {
                assertThat(things.find(new Document("_id", before.get(n))).first().getInteger("n")).isEqualTo(n);
            }
            // The map's own order, read as it stands: the earlier keys first, as their ids were made first.
            List<Integer> inMapOrder = new ArrayList<>();
            served.backend().getMvStore().<Object, de.bwaldvogel.mongo.bson.Document>openMap("databases.latchkey.things")
                    .values().forEach(thing -> inMapOrder.add((Integer) thing.get("n")));
            assertThat(inMapOrder).hasSize(210).isSorted();
        }
    }

    @Test
    void theReleaseBeforeRefusesCompactKeysInsteadOfMisreadingThem() {
        String file = dataDir.resolve("newer.mv").toString();
        try (ServedBackend served = ServedBackend.on(new IndexedH2Backend(file))) {
            served.collection("things").insertMany(numbered(0, 10));
        }
        try (MVStore store = MVStore.open(file)) {
            // As the release before opened its collections: documents as BSON, keys through H2's own type.
            assertThatThrownBy(() -> store.openMap("databases.latchkey.things",
                    new MVMap.Builder<Object, de.bwaldvogel.mongo.bson.Document>().valueType(new BsonDocumentType()))
                    .forEach((id, thing) -> { }))
                    .isInstanceOf(MVStoreException.class).hasMessageContaining("Unknown tag 126");
        }
    }

    private static List<Document> numbered(int from, int to) {
        return IntStream.range(from, to).mapToObj(n -> new Document("n", n)).toList();
    }
}
