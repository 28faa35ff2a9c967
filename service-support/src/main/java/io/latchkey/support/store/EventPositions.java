package io.latchkey.support.store;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gt;
import static com.mongodb.client.model.Filters.gte;
import static org.axonframework.common.DateTimeUtils.formatInstant;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.WriteModel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.documentperevent.EventEntryConfiguration;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded store's order of events: each event document holds a position, one more than the last appended, and
 * a tracking processor's token is the last position it read. Appends take this object's lock from numbering to
 * insert, so a reader never sees a position before a smaller one; that needs one appending process, which the
 * embedded store has (the command side, which serves it). Events stored before positions existed are numbered in
 * Axon's tracking order (timestamp, then sequence) when the appending process opens the store; until then readers
 * find nothing to read rather than skip what is not numbered. A marker records that this is done and, every
 * {@link #MARK_EVERY} positions, how far numbering has gone, so that a start reads only the events after it to find
 * the last.
 */
final class EventPositions {

    static final String FIELD = "position";
    static final String INDEX = "positionIndex";
    static final String MARKERS = "latchkey_markers";
    private static final String MARKER = "event-positions";
    private static final String LAST = "last";
    private static final long MARK_EVERY = 1_000;
    private static final int BATCH = 1_000;
    private static final Logger log = LoggerFactory.getLogger(EventPositions.class);

    private final MongoCollection<Document> markers;
    /** The last position given, or -1 before the first append of this process; guarded by this. */
    private long last = -1;
    private long marked;

    EventPositions(MongoDatabase database) {
        this.markers = database.getCollection(MARKERS);
    }

    /** Numbers the events stored before positions existed, once per store. */
    void numberUnnumbered(MongoCollection<Document> events, EventEntryConfiguration entry) {
        if (markers.find(eq("_id", MARKER)).first() != null) {
            return;
        }
        long position = 0;
        long numbered = 0;
        List<WriteModel<Document>> updates = new ArrayList<>();
        try (MongoCursor<Document> all = events.find()
                .sort(Sorts.ascending(entry.timestampProperty(), entry.sequenceNumberProperty()))
                .batchSize(BATCH).iterator()) {
            while (all.hasNext()) {
                Document event = all.next();
                if (event.get(FIELD) instanceof Number given) {
                    position = Math.max(position, given.longValue());
                    continue;
                }
                updates.add(new UpdateOneModel<>(eq("_id", event.get("_id")), Updates.set(FIELD, ++position)));
                numbered++;
                if (updates.size() == BATCH) {
                    events.bulkWrite(updates);
                    updates.clear();
                }
            }
        }
        if (!updates.isEmpty()) {
            events.bulkWrite(updates);
        }
        mark(position);
        if (numbered > 0) {
            log.info("Numbered {} events stored before event positions, in tracking order (once per store)", numbered);
        }
    }

    /** Numbers the documents after the last position given and inserts them, in one order for every reader. */
    synchronized void append(MongoCollection<Document> events, List<Document> documents) {
        if (last < 0) {
            Long found = lastGiven(events);
            last = found == null ? 0 : found;
            marked = last;
        }
        long next = last;
        for (Document document : documents) {
            document.put(FIELD, ++next);
        }
        try {
            events.insertMany(documents);
        } finally {
            // A failed insert may have stored some of them: their positions are never given again.
            last = next;
        }
        if (last - marked >= MARK_EVERY) {
            try {
                mark(last);
                marked = last;
            } catch (RuntimeException e) {
                // Only a hint for the next start, which then reads further; the events are stored.
                log.warn("Could not record how far event positions have gone", e);
            }
        }
    }

    /**
     * The position before the first event stamped at or after {@code at} (the last position when there is none),
     * so that reading after it misses no event from {@code at} on; null while the store's events are not numbered.
     */
    Long before(MongoCollection<Document> events, EventEntryConfiguration entry, Instant at) {
        Document first = events.find(gte(entry.timestampProperty(), formatInstant(at)))
                .sort(Sorts.ascending(entry.timestampProperty(), entry.sequenceNumberProperty()))
                .limit(1).first();
        if (first == null) {
            return lastGiven(events);
        }
        return first.get(FIELD) instanceof Number position ? position.longValue() - 1 : null;
    }

    /** The last position given so far (0 when none), or null while the store's events are not numbered. */
    Long lastGiven(MongoCollection<Document> events) {
        Document marker = markers.find(eq("_id", MARKER)).first();
        if (marker == null) {
            return null;
        }
        long position = marker.get(LAST, Number.class).longValue();
        try (MongoCursor<Document> after = events.find(gt(FIELD, position)).sort(Sorts.ascending(FIELD))
                .batchSize(BATCH).iterator()) {
            while (after.hasNext()) {
                position = after.next().get(FIELD, Number.class).longValue();
            }
        }
        return position;
    }

    private void mark(long position) {
        markers.updateOne(eq("_id", MARKER), Updates.max(LAST, position), new UpdateOptions().upsert(true));
    }
}
