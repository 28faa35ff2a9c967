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
import java.util.concurrent.atomic.AtomicLong;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.documentperevent.EventEntryConfiguration;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded store's order of events: each event document holds a position, one more than the last appended, and
 * a tracking processor's token is the last position it read. Appends take this object's lock from numbering to
 * insert, so a reader never sees a position before a smaller one; that needs one appending process, which the
 * embedded store has (the command side, which serves it).
 *
 * <p>A reader may see an event before the store has written it to disk, so a crash can take back positions a reader
 * has passed; given again, they would name events that reader never reads. So positions are handed out from blocks
 * of {@link #BLOCK} recorded on disk first (a marker in {@link #MARKERS}, and a commit of the store), and a start
 * goes on after the last block, never inside it. The marker also says where the block began, so that finding the last
 * position given reads at most a block of events (and one append's).
 *
 * <p>Events stored before positions existed are numbered in Axon's tracking order (timestamp, then sequence) when the
 * appending process opens the store, and the marker is written once that is done; until then a reader reads only
 * what is numbered, in order, and a token stored before positions waits, rather than skip what is not numbered.
 */
final class EventPositions {

    static final String FIELD = "position";
    static final String INDEX = "positionIndex";
    static final String MARKERS = "latchkey_markers";
    private static final String MARKER = "event-positions";
    /** The last position given when the current block was taken: every position given since is after it. */
    private static final String FROM = "from";
    /** The end of the current block: no position after it was given. */
    private static final String RESERVED = "reserved";
    private static final long BLOCK = 1_000;
    private static final int BATCH = 1_000;
    private static final Logger log = LoggerFactory.getLogger(EventPositions.class);

    private final MongoCollection<Document> markers;
    /** Writes the store to disk; null in a process that does not append. */
    private final Runnable commit;
    /** The last position given, or -1 before the first append of this process; guarded by this. */
    private long last = -1;
    /** The end of the block positions are given from; guarded by this. */
    private long reserved;
    private volatile boolean numbered;
    /** The last position {@link #lastGiven} found: positions only grow, so the next call reads on from it. */
    private final AtomicLong lastFound = new AtomicLong();

    EventPositions(MongoDatabase database, Runnable commit) {
        this.markers = database.getCollection(MARKERS);
        this.commit = commit;
    }

    boolean appends() {
        return commit != null;
    }

    /** Numbers the events stored before positions existed, once per store. */
    void numberUnnumbered(MongoCollection<Document> events, EventEntryConfiguration entry) {
        if (marker() != null) {
            return;
        }
        long position = 0;
        long count = 0;
        List<WriteModel<Document>> updates = new ArrayList<>();
        try (MongoCursor<Document> all = events.find()
                .sort(Sorts.ascending(entry.timestampProperty(), entry.sequenceNumberProperty()))
                .batchSize(BATCH).iterator()) {
            while (all.hasNext()) {
                Document event = all.next();
                // Numbered by a run cut short: numbers follow the same order, so it goes on after them.
                if (event.get(FIELD) instanceof Number given) {
                    position = Math.max(position, given.longValue());
                    continue;
                }
                updates.add(new UpdateOneModel<>(eq("_id", event.get("_id")), Updates.set(FIELD, ++position)));
                count++;
                if (updates.size() == BATCH) {
                    events.bulkWrite(updates);
                    updates.clear();
                }
            }
        }
        if (!updates.isEmpty()) {
            events.bulkWrite(updates);
        }
        mark(position, position);
        commit.run();
        if (count > 0) {
            log.info("Numbered {} events stored before event positions, in tracking order (once per store)", count);
        }
    }

    /** Numbers the documents after the last position given and inserts them, in one order for every reader. */
    synchronized void append(MongoCollection<Document> events, List<Document> documents) {
        if (last < 0) {
            Document marker = marker();
            if (marker == null) {
                throw new IllegalStateException("The embedded store's events are not numbered: the engine that "
                        + "appends numbers them when it opens the store");
            }
            // After the block: positions in it may have been seen by a reader and lost in a crash.
            last = marker.get(RESERVED, Number.class).longValue();
            reserved = last;
        }
        long next = last + documents.size();
        if (next > reserved) {
            mark(last, next + BLOCK);
            commit.run();
            reserved = next + BLOCK;
        }
        long position = last;
        for (Document document : documents) {
            document.put(FIELD, ++position);
        }
        // Given even if the insert fails: it may have stored some of them.
        last = next;
        events.insertMany(documents);
    }

    /**
     * The position before every event stamped at or after {@code at} (the last position when there is none), so that
     * reading after it misses no event from {@code at} on; null while the store's events are not numbered. The lowest
     * position, not the first by time: an event appended after positions began may be stamped before one appended
     * earlier.
     */
    Long before(MongoCollection<Document> events, EventEntryConfiguration entry, Instant at) {
        Document first = events.find(gte(entry.timestampProperty(), formatInstant(at)))
                .sort(Sorts.ascending(FIELD)).limit(1).first();
        if (first == null) {
            return lastGiven(events);
        }
        // An event without a position sorts first: numbering has not reached it.
        return first.get(FIELD) instanceof Number position ? position.longValue() - 1 : null;
    }

    /** The last position given so far (0 when none), or null while the store's events are not numbered. */
    Long lastGiven(MongoCollection<Document> events) {
        Document marker = marker();
        if (marker == null) {
            return null;
        }
        long from = marker.get(FROM, Number.class).longValue();
        long found = lastFound.get();
        // A crash can take back positions a reader saw (see above): then read on from the block's start again.
        long position = found > from && events.find(eq(FIELD, found)).limit(1).first() != null ? found : from;
        try (MongoCursor<Document> after = events.find(gt(FIELD, position)).sort(Sorts.ascending(FIELD))
                .batchSize(BATCH).iterator()) {
            while (after.hasNext()) {
                position = after.next().get(FIELD, Number.class).longValue();
            }
        }
        lastFound.set(position);
        return position;
    }

    /** Whether the store's events are numbered; once they are, they stay so. */
    boolean numbered() {
        if (!numbered) {
            numbered = marker() != null;
        }
        return numbered;
    }

    private Document marker() {
        return markers.find(eq("_id", MARKER)).first();
    }

    private void mark(long from, long reserved) {
        markers.updateOne(eq("_id", MARKER), Updates.combine(Updates.max(FROM, from), Updates.max(RESERVED, reserved)),
                new UpdateOptions().upsert(true));
    }
}
