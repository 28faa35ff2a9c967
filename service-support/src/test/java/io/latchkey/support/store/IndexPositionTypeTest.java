package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;

import de.bwaldvogel.mongo.bson.ObjectId;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.WriteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexPositionTypeTest {

    @TempDir
    Path dataDir;

    @Test
    void anObjectIdIsWrittenAsItsBytesAndOtherPositionsAsBefore() {
        ObjectId id = new ObjectId();
        Object[] positions = {id, "k1", 42L, 7, new ObjectId()};
        IndexPositionType type = new IndexPositionType();
        WriteBuffer out = new WriteBuffer();
        type.write(out, positions, positions.length);
        ByteBuffer page = out.getBuffer();
        page.flip();
        assertThat(page.get(0)).isEqualTo(IndexPositionType.OBJECT_ID);
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
                    new MVMap.Builder<String, Object>().valueType(new IndexPositionType()));
            assertThat(entries).containsExactlyInAnyOrderEntriesOf(Map.of("old", before, "text", "k1"));
            entries.put("new", after);
        }
        try (MVStore store = MVStore.open(file)) {
            MVMap<String, Object> entries = store.openMap("latchkey.index.2.db.c$i",
                    new MVMap.Builder<String, Object>().valueType(new IndexPositionType()));
            assertThat(entries).containsExactlyInAnyOrderEntriesOf(Map.of("old", before, "text", "k1", "new", after));
        }
    }
}
