package io.latchkey.support.store;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gte;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import java.util.List;
import java.util.stream.StreamSupport;
import org.axonframework.eventhandling.DomainEventData;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.documentperevent.DocumentPerEventStorageStrategy;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.documentperevent.EventEntryConfiguration;
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
 */
class PagedDocumentPerEventStrategy extends DocumentPerEventStorageStrategy {

    static final String AGGREGATE_INDEX = "aggregateSequenceIndex";

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
