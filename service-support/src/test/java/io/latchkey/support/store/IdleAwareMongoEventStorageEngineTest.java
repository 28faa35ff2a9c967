package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the embedded store over TCP: skipping idle scans must never hide an event appended since. */
class IdleAwareMongoEventStorageEngineTest {

    @TempDir
    Path dataDir;

    private static List<? extends TrackedEventMessage<?>> read(IdleAwareMongoEventStorageEngine engine,
                                                               TrackingToken from) {
        return engine.readEvents(from, false).toList();
    }

    @Test
    void everyAppendedEventIsReadOnceHoweverOftenAnIdleProcessorPolls() {
        try (ServedStore store = ServedStore.start(dataDir)) {
            IdleAwareMongoEventStorageEngine engine = new IdleAwareMongoEventStorageEngine(
                    store.engine().batchSize(1000), store.template(),
                    new PagedDocumentPerEventStrategy(store.database(), store.server()::commit));

            assertThat(read(engine, null)).isEmpty();
            TrackingToken position = null;
            for (int i = 0; i < 30; i++) {
                if (position != null) {
                    // Idle polls: the second and third are answered without a scan.
                    assertThat(read(engine, position)).isEmpty();
                    assertThat(read(engine, position)).isEmpty();
                    assertThat(read(engine, position)).isEmpty();
                }
                engine.appendEvents(new GenericDomainEventMessage<>("Thing", "thing-" + (i % 3), i / 3,
                        "payload-" + i));
                List<? extends TrackedEventMessage<?>> seen = read(engine, position);
                assertThat(seen).as("round %d", i).hasSize(1);
                assertThat(seen.get(0).getPayload()).isEqualTo("payload-" + i);
                position = seen.get(0).trackingToken();
            }
            assertThat(read(engine, null)).hasSize(30);
        }
    }
}
