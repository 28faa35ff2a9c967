package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.latchkey.support.events.EventStoreWindows;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.extensions.mongo.DefaultMongoTemplate;
import org.axonframework.extensions.mongo.MongoTemplate;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against the embedded store over TCP: skipping idle scans must never hide an event appended since, and a window of
 * one aggregate's events fetches about what it wants.
 */
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

    @Test
    void aWindowOfOneAggregatesEventsFetchesWhatItWantsAndGrowsFromThere() {
        List<Integer> limits = new CopyOnWriteArrayList<>();
        CommandListener aggregateFetches = new CommandListener() {
            @Override
            public void commandStarted(CommandStartedEvent started) {
                BsonDocument command = started.getCommand();
                if (started.getCommandName().equals("find") && command.getDocument("filter").toJson()
                        .contains("aggregateIdentifier")) {
                    limits.add(command.getInt32("limit").getValue());
                }
            }
        };
        try (ServedStore store = ServedStore.start(dataDir);
             MongoClient client = MongoClients.create(MongoClientSettings.builder()
                     .applyConnectionString(new ConnectionString("mongodb://127.0.0.1:" + store.port()))
                     .addCommandListener(aggregateFetches).build())) {
            MongoTemplate template = DefaultMongoTemplate.builder().mongoDatabase(client, "latchkey").build();
            IdleAwareMongoEventStorageEngine engine = new IdleAwareMongoEventStorageEngine(
                    ServedStore.engineOn(template).batchSize(1000), template,
                    new PagedDocumentPerEventStrategy(client.getDatabase("latchkey"), store.server()::commit));
            List<EventMessage<?>> events = new ArrayList<>();
            for (int i = 0; i < 2_500; i++) {
                events.add(new GenericDomainEventMessage<>("Thing", "busy", i, "busy-" + i));
            }
            for (int i = 0; i < 160; i++) {
                events.add(new GenericDomainEventMessage<>("Thing", "even", i, "even-" + i));
            }
            engine.appendEvents(events);

            limits.clear();
            assertThat(new EventStoreWindows(engine).read("busy", 1_200, 1)).singleElement()
                    .extracting(DomainEventMessage::getPayload).isEqualTo("busy-1200");
            assertThat(limits).as("a window of one event").containsExactly(1);
            limits.clear();
            assertThat(new EventStoreWindows(engine).read("busy", 1_200, 101))
                    .extracting(DomainEventMessage::getSequenceNumber)
                    .containsExactlyElementsOf(LongStream.range(1_200, 1_301).boxed().toList());
            assertThat(limits).as("a window, which says how many it wants").containsExactly(101);
            limits.clear();
            assertThat(engine.readEvents("busy", 2_000, 101).asStream()).hasSize(500);
            assertThat(limits).as("a window's read past what it wanted").containsExactly(101, 404);

            limits.clear();
            assertThat(engine.readEvents("busy", 0, 32).asStream().map(event -> (Object) event.getPayload()))
                    .containsExactlyElementsOf(IntStream.range(0, 2_500).mapToObj(i -> "busy-" + i).toList());
            assertThat(limits).as("a sized read to the end").containsExactly(32, 128, 512, 1000, 1000);
            limits.clear();
            // 32 and 128 fetched exactly: only an empty fetch can tell that the stream ends there.
            assertThat(engine.readEvents("even", 0, 32).asStream()).hasSize(160);
            assertThat(limits).containsExactly(32, 128, 512);
            assertThat(engine.readEvents("even", 160, 32).asStream()).isEmpty();

            limits.clear();
            // A load reads to the end: Axon's fetches of a whole batch, which cost nothing past the stream's end.
            assertThat(engine.readEvents("busy", 0).asStream()).hasSize(2_500);
            assertThat(engine.readEvents("even", 0).asStream()).hasSize(160);
            assertThat(limits).containsExactly(1000, 1000, 1000, 1000);
            assertThat(engine.readEvents("none", 0).asStream()).isEmpty();
        }
    }
}
