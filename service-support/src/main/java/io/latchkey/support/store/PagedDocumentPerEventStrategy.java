package io.latchkey.support.store;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gt;
import static com.mongodb.client.model.Filters.gte;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.axonframework.eventhandling.DomainEventData;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.TrackedDomainEventData;
import org.axonframework.eventhandling.TrackedEventData;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.MongoTrackingToken;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.documentperevent.DocumentPerEventStorageStrategy;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.documentperevent.EventEntryConfiguration;
import org.axonframework.serialization.Serializer;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * Axon's one-event-per-document layout, reading an aggregate's events a batch at a time. Axon's own strategy passes the
 * batch size to the cursor only as its round-trip size and returns everything from the first sequence on, so reading
 * a stream from some position, as a page of a key's history does, held the whole rest of it in memory. One event per
 * document makes the batch a limit on documents.
 *
 * <p>It also indexes events and snapshots by aggregate and sequence without Axon's uniqueness. Axon's unique index
 * serves a load in MongoDB, but the embedded store uses a unique index only for a query that names every one of its
 * fields exactly, so every load of an aggregate scanned all the events of all aggregates. A non-unique index it does
 * read ({@link FieldIndex}): a load reads the aggregate's events from the requested sequence on.
 *
 * <p>And it tracks events by their position in the store ({@link EventPositions}), with Axon's {@link
 * GlobalSequenceTrackingToken}, instead of by timestamp. Axon's {@link MongoTrackingToken} re-reads the second before
 * it on every fetch, excluding by id each event it has seen there, and every event read makes a token holding all
 * those ids: each fetch costs that second's events, twice over, so at a few thousand events a second (usage reports
 * add one per key, edge and second) a processor read fewer events than were appended, and fell behind for good. A
 * token of the earlier kind, stored before positions, is read from before the lowest position stamped in its second
 * of look-back: the handlers see at most that second again, and every projection's writes are idempotent.
 */
class PagedDocumentPerEventStrategy extends DocumentPerEventStorageStrategy {

    static final String AGGREGATE_INDEX = "aggregateSequenceIndex";
    /** Axon's look-back for its Mongo token, which a token stored before positions was read with. */
    private static final Duration LOOK_BACK = Duration.ofSeconds(1);

    private final EventPositions positions;

    /**
     * @param commit writes the store to disk, in the one process that appends the events and serves the store (the
     *               command side), which numbers them; null in every other process, which only reads
     */
    PagedDocumentPerEventStrategy(MongoDatabase database, Runnable commit) {
        this.positions = new EventPositions(database, commit);
    }

    @Override
    public void ensureIndexes(MongoCollection<Document> eventsCollection,
                              MongoCollection<Document> snapshotsCollection) {
        super.ensureIndexes(eventsCollection, snapshotsCollection);
        EventEntryConfiguration entry = eventConfiguration();
        // The sequence descending only so as not to repeat the unique index's keys, which MongoDB would refuse; the
        // embedded store's index reads either way.
        Bson keys = Indexes.compoundIndex(Indexes.ascending(entry.aggregateIdentifierProperty()),
                Indexes.descending(entry.sequenceNumberProperty()));
        IndexOptions options = new IndexOptions().name(AGGREGATE_INDEX);
        eventsCollection.createIndex(keys, options);
        snapshotsCollection.createIndex(keys, options);
        eventsCollection.createIndex(Indexes.ascending(EventPositions.FIELD),
                new IndexOptions().name(EventPositions.INDEX));
        if (positions.appends()) {
            positions.numberUnnumbered(eventsCollection, entry);
        }
    }

    @Override
    public void appendEvents(MongoCollection<Document> eventCollection, List<? extends EventMessage<?>> events,
                             Serializer serializer) {
        if (!positions.appends()) {
            throw new IllegalStateException("This process does not append to the embedded event store: the one that "
                    + "serves it, the command side, numbers every event");
        }
        positions.append(eventCollection, createEventDocuments(events, serializer).collect(Collectors.toList()));
    }

    /** The events after the token's position, in the order of their positions, a batch at a time. */
    @Override
    public List<? extends TrackedEventData<?>> findTrackedEvents(MongoCollection<Document> eventCollection,
                                                                 TrackingToken lastToken, int batchSize) {
        Long after = after(eventCollection, lastToken);
        if (after == null) {
            return List.of();
        }
        List<TrackedEventData<?>> batch = new ArrayList<>(batchSize);
        for (Document document : eventCollection.find(gt(EventPositions.FIELD, after))
                .sort(Sorts.ascending(EventPositions.FIELD)).limit(batchSize).batchSize(batchSize)) {
            TrackingToken token = new GlobalSequenceTrackingToken(document.get(EventPositions.FIELD, Number.class)
                    .longValue());
            extractEvents(document).forEach(event -> batch.add(new TrackedDomainEventData<>(token, event)));
        }
        return batch;
    }

    /** The position to read after, or null while a token stored before positions cannot be placed yet. */
    private Long after(MongoCollection<Document> events, TrackingToken token) {
        if (token == null) {
            return 0L;
        }
        if (token instanceof GlobalSequenceTrackingToken position) {
            return position.getGlobalIndex();
        }
        if (token instanceof MongoTrackingToken stored) {
            return positions.before(events, eventConfiguration(), stored.getTimestamp().minus(LOOK_BACK));
        }
        throw new IllegalArgumentException("The embedded event store cannot read from a token of type "
                + token.getClass().getName());
    }

    /** Whether the appending process has numbered the store's events; once it has, they stay so. */
    boolean numbered() {
        return positions.numbered();
    }

    /** Reading from no token reads every event. */
    @Override
    public TrackingToken createTailToken(MongoCollection<Document> eventsCollection) {
        return null;
    }

    /**
     * A token after the last event appended so far. While the appender has not numbered the store no event has a
     * position, so 0 is the last position given, and every event numbered later comes after it: tokens are of one
     * type from the start (Axon's first token of a processor compares the two), at the price of reading more.
     */
    TrackingToken createHeadToken(MongoCollection<Document> events) {
        Long last = positions.lastGiven(events);
        return new GlobalSequenceTrackingToken(last == null ? 0 : last);
    }

    /**
     * A token before the lowest position stamped at or after {@code at}; as {@link #createHeadToken}, 0 until
     * numbered. It reads every event stamped since {@code at}: cheap for the recent past, a scan for the distant.
     */
    TrackingToken createTokenAt(MongoCollection<Document> events, Instant at) {
        Long before = positions.before(events, eventConfiguration(), at);
        return new GlobalSequenceTrackingToken(before == null ? 0 : before);
    }

    @Override
    public List<? extends DomainEventData<?>> findDomainEvents(MongoCollection<Document> collection,
                                                               String aggregateIdentifier, long firstSequenceNumber,
                                                               int batchSize) {
        EventEntryConfiguration entry = eventConfiguration();
        return StreamSupport.stream(collection.find(and(eq(entry.aggregateIdentifierProperty(), aggregateIdentifier),
                                gte(entry.sequenceNumberProperty(), firstSequenceNumber)))
                        .sort(Sorts.ascending(entry.sequenceNumberProperty()))
                        .limit(batchSize)
                        .batchSize(batchSize)
                        .spliterator(), false)
                .flatMap(this::extractEvents)
                .toList();
    }
}
