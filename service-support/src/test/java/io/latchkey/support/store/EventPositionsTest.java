package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.MongoEventStorageEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against the embedded store over TCP: events are tracked by their position in the store, a store written before
 * positions is numbered in Axon's tracking order, and a processor's token from before positions misses nothing.
 */
class EventPositionsTest {

    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    @TempDir
    Path dataDir;

    private static IdleAwareMongoEventStorageEngine engine(ServedStore store) {
        return new IdleAwareMongoEventStorageEngine(store.engine().batchSize(100), store.template(),
                new PagedDocumentPerEventStrategy(store.database(), store.server()::commit));
    }

    /** {@code count} events of ten aggregates, all stamped {@code at}: a burst in one millisecond. */
    private static List<EventMessage<?>> burst(int from, int count, Instant at) {
        List<EventMessage<?>> events = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            events.add(new GenericDomainEventMessage<>("Thing", "thing-" + i % 10, i / 10, "payload-" + i, Map.of(),
                    "event-" + i, at));
        }
        return events;
    }

    /** Everything after {@code from}, as a tracking processor reads it: batch after batch, each from the last token. */
    private static List<TrackedEventMessage<?>> readAll(EventStorageEngine engine, TrackingToken from) {
        List<TrackedEventMessage<?>> read = new ArrayList<>();
        TrackingToken token = from;
        while (true) {
            List<? extends TrackedEventMessage<?>> batch = engine.readEvents(token, false).limit(100).toList();
            if (batch.isEmpty()) {
                return read;
            }
            read.addAll(batch);
            token = batch.get(batch.size() - 1).trackingToken();
        }
    }

    private static List<Object> payloads(List<TrackedEventMessage<?>> events) {
        return events.stream().map(event -> (Object) event.getPayload()).toList();
    }

    private static List<Object> payloads(int from, int to) {
        return LongStream.range(from, to).mapToObj(i -> (Object) ("payload-" + i)).toList();
    }

    @Test
    void aProcessorReadsEveryEventOnceInAppendOrderThoughThousandsShareATimestamp() {
        try (ServedStore store = ServedStore.start(dataDir)) {
            IdleAwareMongoEventStorageEngine engine = engine(store);
            for (int from = 0; from < 3_000; from += 500) {
                engine.appendEvents(burst(from, 500, T0));
            }

            List<TrackedEventMessage<?>> read = readAll(engine, null);

            assertThat(payloads(read)).containsExactlyElementsOf(payloads(0, 3_000));
            assertThat(read).extracting(event -> ((GlobalSequenceTrackingToken) event.trackingToken()).getGlobalIndex())
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, 3_000).boxed().toList());
            assertThat(readAll(engine, read.get(1_499).trackingToken())).hasSize(1_500);
        }
    }

    @Test
    void aRestartGoesOnAfterTheLastBlockSoAPositionLostInACrashIsNeverGivenAgain() {
        try (ServedStore store = ServedStore.start(dataDir)) {
            engine(store).appendEvents(burst(0, 1_500, T0));
            // A reader saw the last one; then a crash took it back before the store wrote it to disk.
            TrackingToken sawTheLost = new GlobalSequenceTrackingToken(1_500);
            store.template().eventCollection().deleteOne(Filters.eq(EventPositions.FIELD, 1_500L));

            IdleAwareMongoEventStorageEngine restarted = engine(store);
            restarted.appendEvents(burst(1_500, 10, T0.plusSeconds(1)));

            assertThat(payloads(readAll(restarted, sawTheLost))).containsExactlyElementsOf(payloads(1_500, 1_510));
            List<Long> positions = positions(store);
            assertThat(positions).isSorted().doesNotHaveDuplicates().hasSize(1_509);
            assertThat(positions.get(1_499)).isGreaterThan(1_500);
            assertThat(restarted.createHeadToken())
                    .isEqualTo(new GlobalSequenceTrackingToken(positions.get(positions.size() - 1)));
        }
    }

    /** The head a reading process reports goes on from what it last found, and back if a crash took that back. */
    @Test
    void aReadersHeadFollowsAppendsAndComesBackWhenACrashTookItsLastPositionBack() {
        try (ServedStore store = ServedStore.start(dataDir)) {
            IdleAwareMongoEventStorageEngine appender = engine(store);
            IdleAwareMongoEventStorageEngine reader = new IdleAwareMongoEventStorageEngine(store.engine(),
                    store.template(), new PagedDocumentPerEventStrategy(store.database(), null));
            appender.appendEvents(burst(0, 20, T0));
            assertThat(reader.createHeadToken()).isEqualTo(new GlobalSequenceTrackingToken(20));
            appender.appendEvents(burst(20, 5, T0));
            assertThat(reader.createHeadToken()).isEqualTo(new GlobalSequenceTrackingToken(25));

            store.template().eventCollection().deleteMany(Filters.gt(EventPositions.FIELD, 22L));

            assertThat(reader.createHeadToken()).as("not the lost 25, which no processor can reach")
                    .isEqualTo(new GlobalSequenceTrackingToken(22));
        }
    }

    @Test
    void aTokenAtAnInstantReadsTheEventsStampedFromThenOn() {
        try (ServedStore store = ServedStore.start(dataDir)) {
            IdleAwareMongoEventStorageEngine engine = engine(store);
            for (int second = 0; second < 5; second++) {
                engine.appendEvents(burst(second * 10, 10, T0.plusSeconds(second)));
            }

            assertThat(payloads(readAll(engine, engine.createTokenAt(T0.plusSeconds(3)))))
                    .containsExactlyElementsOf(payloads(30, 50));
            assertThat(readAll(engine, engine.createHeadToken())).isEmpty();
            assertThat(payloads(readAll(engine, engine.createTailToken()))).hasSize(50);
        }
    }

    @Test
    void aStoreWrittenBeforePositionsIsNumberedInTrackingOrderOnce() {
        try (ServedStore store = ServedStore.start(dataDir)) {
            MongoEventStorageEngine before = store.engine().build();
            // Appended out of timestamp order: tracking order is by timestamp, then sequence.
            before.appendEvents(burst(10, 10, T0.plusSeconds(1)));
            before.appendEvents(burst(0, 10, T0));

            IdleAwareMongoEventStorageEngine engine = engine(store);
            engine.appendEvents(burst(20, 5, T0.plusSeconds(2)));
            engine(store).appendEvents(burst(25, 5, T0.plusSeconds(3)));

            assertThat(payloads(readAll(engine, null))).containsExactlyElementsOf(payloads(0, 30));
            List<Long> positions = positions(store);
            assertThat(positions.subList(0, 25))
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, 25).boxed().toList());
            assertThat(positions).isSorted().doesNotHaveDuplicates().hasSize(30);
        }
    }

    @Test
    void aProcessThatDoesNotAppendNeitherNumbersNorAppendsAndReadsOnceTheAppenderHasNumbered() {
        try (ServedStore store = ServedStore.start(dataDir)) {
            MongoEventStorageEngine before = store.engine().build();
            before.appendEvents(burst(0, 10, T0));
            TrackingToken stored = before.readEvents(null, false).limit(5).toList().get(4).trackingToken();

            IdleAwareMongoEventStorageEngine reader = new IdleAwareMongoEventStorageEngine(store.engine(),
                    store.template(), new PagedDocumentPerEventStrategy(store.database(), null));
            assertThat(store.template().eventCollection().countDocuments(
                    Filters.exists(EventPositions.FIELD, true))).isZero();
            assertThat(readAll(reader, stored)).as("nothing to read until numbered, nothing skipped").isEmpty();
            TrackingToken head = reader.createHeadToken();
            assertThat(head).as("a position from the start").isEqualTo(new GlobalSequenceTrackingToken(0));
            assertThatThrownBy(() -> reader.appendEvents(burst(10, 1, T0)))
                    .hasRootCauseInstanceOf(IllegalStateException.class);

            engine(store);
            assertThat(payloads(readAll(reader, stored))).containsExactlyElementsOf(payloads(0, 10));
            assertThat(payloads(readAll(reader, head))).containsExactlyElementsOf(payloads(0, 10));
        }
    }

    @Test
    void aTokenFromBeforePositionsMissesNoEventAndRereadsAtMostItsSecondOfLookBack() {
        try (ServedStore store = ServedStore.start(dataDir)) {
            MongoEventStorageEngine before = store.engine().build();
            for (int second = 0; second < 10; second++) {
                before.appendEvents(burst(second * 10, 10, T0.plusSeconds(second)));
            }
            // Where a processor stood before the upgrade: after the 65th event, with Axon's own token.
            TrackingToken stored = before.readEvents(null, false).limit(65).toList().get(64).trackingToken();

            IdleAwareMongoEventStorageEngine engine = engine(store);
            engine.appendEvents(burst(100, 10, T0.plusSeconds(10)));

            // The token stands in second 6 (events 60 to 69): the read starts at the second before it.
            assertThat(payloads(readAll(engine, stored))).containsExactlyElementsOf(payloads(50, 110));
        }
    }

    @Test
    void eachEventDocumentHoldsItsPositionAndOneMarkerHowFarNumberingWent() {
        try (ServedStore store = ServedStore.start(dataDir)) {
            engine(store).appendEvents(burst(0, 3, T0));
            assertThat(positions(store)).containsExactly(1L, 2L, 3L);
            assertThat(store.database().getCollection(EventPositions.MARKERS).countDocuments()).isEqualTo(1);
        }
    }

    private static List<Long> positions(ServedStore store) {
        return store.template().eventCollection().find().sort(Sorts.ascending(EventPositions.FIELD))
                .map(event -> event.get(EventPositions.FIELD, Number.class).longValue()).into(new ArrayList<>());
    }
}
