package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.axonframework.eventhandling.DomainEventData;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.MongoEventStorageEngine;
import org.bson.Document;
import org.h2.mvstore.MVMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the embedded store over TCP: a stream is read a batch at a time, and whole when read to its end. */
class PagedDocumentPerEventStrategyTest {

    private static final int BATCH = 100;

    @TempDir
    Path dataDir;

    @Test
    void aStreamReadFromAPositionFetchesOneBatchAtATimeAndStillEndsComplete() {
        try (ServedStore store = ServedStore.start(dataDir)) {
            PagedDocumentPerEventStrategy strategy =
                    new PagedDocumentPerEventStrategy(store.database(), store.server()::commit);
            MongoEventStorageEngine engine = store.engine().batchSize(BATCH).storageStrategy(strategy).build();
            List<EventMessage<?>> events = new ArrayList<>();
            for (int i = 0; i < 350; i++) {
                events.add(new GenericDomainEventMessage<>("Thing", "busy", i, "busy-" + i));
                events.add(new GenericDomainEventMessage<>("Thing", "quiet-" + i, 0, "quiet-" + i));
            }
            engine.appendEvents(events);

            List<? extends DomainEventData<?>> batch =
                    strategy.findDomainEvents(store.template().eventCollection(), "busy", 120, BATCH);
            assertThat(batch).extracting(DomainEventData::getSequenceNumber)
                    .containsExactlyElementsOf(LongStream.range(120, 220).boxed().toList());

            assertThat(engine.readEvents("busy", 120).asStream().map(DomainEventMessage::getSequenceNumber))
                    .containsExactlyElementsOf(LongStream.range(120, 350).boxed().toList());
            assertThat(engine.readEvents("busy", 0).asStream().map(event -> (Object) event.getPayload()))
                    .hasSize(350).startsWith((Object) "busy-0").endsWith((Object) "busy-349");
            assertThat(engine.readEvents("quiet-7", 0).asStream().map(event -> (Object) event.getPayload()))
                    .containsExactly((Object) "quiet-7");
            assertThat(engine.readEvents("busy", 350).asStream()).isEmpty();
        }
    }

    @Test
    void anAggregateLoadsFromItsIndexWhichAStoreWrittenBeforeGetsBuilt() {
        IndexedH2Backend backend = new IndexedH2Backend(dataDir.resolve("indexed.mv").toString());
        try (ServedBackend served = ServedBackend.on(backend)) {
            ServedStore.engineOn(served.template()).build()
                    .appendEvents(new GenericDomainEventMessage<>("Thing", "old", 0, "old-0"),
                            new GenericDomainEventMessage<>("Thing", "old", 1, "old-1"));
            MongoEventStorageEngine engine = ServedStore.engineOn(served.template())
                    .storageStrategy(new PagedDocumentPerEventStrategy(served.database(), served.backend()::commit))
                    .build();
            engine.appendEvents(new GenericDomainEventMessage<>("Thing", "old", 2, "old-2"),
                    new GenericDomainEventMessage<>("Thing", "new", 0, "new-0"));
            assertThat(engine.readEvents("old", 0).asStream().map(event -> (Object) event.getPayload()))
                    .containsExactly("old-0", "old-1", "old-2");

            // A copy of an event slipped in behind the store's back: a scan would meet it, the index does not.
            MVMap<Object, de.bwaldvogel.mongo.bson.Document> events = backend.getMvStore()
                    .openMap("databases.latchkey." + ServedBackend.EVENTS);
            Object position = events.keySet().stream().filter(key -> "new".equals(events.get(key)
                    .get("aggregateIdentifier"))).findFirst().orElseThrow();
            de.bwaldvogel.mongo.bson.Document ghost = events.get(position).clone();
            ghost.put("_id", "ghost");
            ghost.put("sequenceNumber", 1L);
            events.put("ghost", ghost);
            assertThat(served.events().countDocuments(new Document("aggregateIdentifier",
                    new Document("$in", List.of("new"))))).as("a scan").isEqualTo(2);
            assertThat(engine.readEvents("new", 0).asStream().map(DomainEventMessage::getSequenceNumber))
                    .as("read by the index").containsExactly(0L);
        }
    }
}
