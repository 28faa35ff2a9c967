package io.latchkey.support.store;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.axonframework.eventhandling.TrackedEventData;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.MongoEventStorageEngine;

/**
 * Axon's MongoDB engine, made for the embedded store, which scans the whole event collection for a fetch its tail does
 * not cover (it does not read Axon's timestamp index): an idle tracking processor polling every few milliseconds would
 * scan it again and again, and the store's CPU would go to scans that find nothing while commands wait. Events are
 * only ever appended, so while the collection's size (a constant-time count) has not changed since a fetch from a
 * token came back empty (or a fetch returned everything up to some event), the same fetch (or one from that event) would
 * come back empty again, and is answered without scanning: one scan per appended event instead of one per poll.
 */
final class IdleAwareMongoEventStorageEngine extends MongoEventStorageEngine {

    /** Tokens whose last fetch was empty, with the collection size it saw; cleared when it grows past this. */
    private static final int MAX_REMEMBERED_TOKENS = 1_000;

    private final Map<TrackingToken, Long> emptyAtSize = new ConcurrentHashMap<>();
    private final org.axonframework.extensions.mongo.MongoTemplate template;

    IdleAwareMongoEventStorageEngine(Builder builder, org.axonframework.extensions.mongo.MongoTemplate template) {
        super(builder);
        this.template = template;
    }

    @Override
    protected List<? extends TrackedEventData<?>> fetchTrackedEvents(TrackingToken lastToken, int batchSize) {
        // Read before the fetch: an event appended in between makes the next size differ, so it is never skipped.
        long size = template.eventCollection().estimatedDocumentCount();
        if (lastToken != null && Long.valueOf(size).equals(emptyAtSize.get(lastToken))) {
            return List.of();
        }
        List<? extends TrackedEventData<?>> batch = super.fetchTrackedEvents(lastToken, batchSize);
        if (batch.isEmpty()) {
            remember(lastToken, size);
        } else if (batch.size() < batchSize) {
            // The batch held everything there was: a fetch from its last event would find nothing either.
            remember(batch.get(batch.size() - 1).trackingToken(), size);
        }
        return batch;
    }

    private void remember(TrackingToken emptyFrom, long size) {
        if (emptyFrom == null) {
            return;
        }
        if (emptyAtSize.size() >= MAX_REMEMBERED_TOKENS) {
            emptyAtSize.clear();
        }
        emptyAtSize.put(emptyFrom, size);
    }
}
