package io.latchkey.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data's generation on the embedded store, served over TCP. */
class DataGenerationTest {

    @TempDir
    Path dataDir;

    private static int stored(ServedTemplate store) {
        return store.mongo().findById("data", Document.class, DataGeneration.COLLECTION).getInteger("generation");
    }

    @Test
    void aStartRaisesTheGenerationOfDataWrittenByEarlierReleasesAndKeepsItsOwn() {
        try (ServedTemplate store = ServedTemplate.start(dataDir)) {
            new DataGeneration(store.mongo());
            assertThat(stored(store)).isEqualTo(DataGeneration.CURRENT);
            new DataGeneration(store.mongo());
            assertThat(stored(store)).isEqualTo(DataGeneration.CURRENT);
        }
    }

    @Test
    void aReleaseRefusesToStartOnDataOfALaterGenerationAndLeavesItAsItIs() {
        try (ServedTemplate store = ServedTemplate.start(dataDir)) {
            store.mongo().save(new Document("_id", "data").append("generation", DataGeneration.CURRENT + 1),
                    DataGeneration.COLLECTION);

            assertThatThrownBy(() -> new DataGeneration(store.mongo())).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("written by a later Latchkey release")
                    .hasMessageContaining("copy of the data taken before the upgrade");
            assertThat(stored(store)).isEqualTo(DataGeneration.CURRENT + 1);
        }
    }

    /** As a shell writes a number by hand: a double, not an int. */
    @Test
    void aLaterGenerationWrittenAsAnotherNumberTypeIsRefusedTheSameWay() {
        try (ServedTemplate store = ServedTemplate.start(dataDir)) {
            store.mongo().save(new Document("_id", "data").append("generation", DataGeneration.CURRENT + 1.0),
                    DataGeneration.COLLECTION);

            assertThatThrownBy(() -> new DataGeneration(store.mongo())).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("written by a later Latchkey release");
        }
    }
}
