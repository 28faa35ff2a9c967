package io.latchkey.support.store;

import io.latchkey.support.events.SizedReads;
import io.latchkey.support.web.ProblemException;
import java.time.Instant;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Spliterators;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.StreamSupport;
import javax.annotation.Nonnull;
import org.axonframework.eventhandling.DomainEventData;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.TrackedEventData;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventsourcing.EventStreamUtils;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.MongoEventStorageEngine;

/**
 * Axon's MongoDB engine, made for the embedded store. An idle tracking processor polls every fetch delay (and fetches
 * when signalled, {@link AppendSignal}), and each poll is a query the store answers under the events collection's lock,
 * which appends (revocations among them) wait for. Events are only ever appended, so while the collection's size (a
 * constant-time count) has not changed since a fetch from a token came back empty (or a fetch returned everything up to
 * some event), the same fetch (or one from that event) would come back empty again, and is answered without asking: one
 * query per appended event instead of one per poll. Its tokens are positions in the store
 * ({@link PagedDocumentPerEventStrategy}).
 */
final class IdleAwareMongoEventStorageEngine extends MongoEventStorageEngine implements SizedReads {

    /** Tokens whose last fetch was empty, with the collection size it saw; cleared when it grows past this. */
    private static final int MAX_REMEMBERED_TOKENS = 1_000;

    private final Map<TrackingToken, Long> emptyAtSize = new ConcurrentHashMap<>();
    private final org.axonframework.extensions.mongo.MongoTemplate template;
    private final PagedDocumentPerEventStrategy strategy;

    IdleAwareMongoEventStorageEngine(Builder builder, org.axonframework.extensions.mongo.MongoTemplate template,
                                     PagedDocumentPerEventStrategy strategy) {
        super(builder.storageStrategy(strategy));
        this.template = template;
        this.strategy = strategy;
    }

    /**
     * A block of positions that could not be written to disk refuses the command as the durable commit does
     * ({@link StoreAutoConfiguration#commitOrRefuse}), not as an append that failed for no reason the caller can know.
     */
    @Override
    protected void handlePersistenceException(Exception exception, EventMessage<?> failedEvent) {
        if (exception instanceof ProblemException refused) {
            throw refused;
        }
        super.handlePersistenceException(exception, failedEvent);
    }

    /**
     * One aggregate's events from a sequence on, the first fetch {@code wanted} events (at least one, at most a batch)
     * and each later one four times as many, up to the batch size. Axon fetches the whole batch size each time, a
     * replay's thousand, which suits a load read to the stream's end (a limit costs nothing past the stream's end),
     * but a window of a long stream wants a few (a page of its history, the one event a search by time looks at),
     * and the rest were fetched and decoded for nothing.
     */
    @Override
    public DomainEventStream readEvents(String aggregateIdentifier, long firstSequenceNumber, int wanted) {
        return EventStreamUtils.upcastAndDeserializeDomainEvents(
                StreamSupport.stream(new GrowingFetches(aggregateIdentifier, firstSequenceNumber, wanted), false),
                getEventSerializer(), upcasterChain);
    }

    private final class GrowingFetches extends Spliterators.AbstractSpliterator<DomainEventData<?>> {

        private final String identifier;
        private long next;
        private int size;
        private Iterator<? extends DomainEventData<?>> fetched = Collections.emptyIterator();
        private boolean last;

        GrowingFetches(String identifier, long first, int firstFetch) {
            super(Long.MAX_VALUE, ORDERED | NONNULL);
            this.identifier = identifier;
            this.next = first;
            this.size = Math.max(1, Math.min(firstFetch, batchSize()));
        }

        @Override
        public boolean tryAdvance(Consumer<? super DomainEventData<?>> action) {
            if (!fetched.hasNext()) {
                if (last) {
                    return false;
                }
                List<? extends DomainEventData<?>> batch = fetchDomainEvents(identifier, next, size);
                // One event a document, fetched with a limit: fewer than asked for is the stream's end.
                last = batch.size() < size;
                size = Math.min(batchSize(), 4 * size);
                fetched = batch.iterator();
                if (!fetched.hasNext()) {
                    return false;
                }
            }
            DomainEventData<?> event = fetched.next();
            next = event.getSequenceNumber() + 1;
            action.accept(event);
            return true;
        }
    }

    @Override
    public TrackingToken createHeadToken() {
        return strategy.createHeadToken(template.eventCollection());
    }

    @Override
    public TrackingToken createTokenAt(@Nonnull Instant dateTime) {
        return strategy.createTokenAt(template.eventCollection(), dateTime);
    }

    @Override
    protected List<? extends TrackedEventData<?>> fetchTrackedEvents(TrackingToken lastToken, int batchSize) {
        // Read before the fetch: an event appended in between makes the next size differ, so it is never skipped;
        // and numbering, which does not change the size, must be over before the fetch for its answer to stand.
        boolean numbered;
        long size;
        try {
            numbered = strategy.numbered();
            size = template.eventCollection().estimatedDocumentCount();
        } catch (RuntimeException storeUnreachable) {
            // The command side, which serves the store, is down: a crash may take back events, and as many new ones
            // would bring the size back to one remembered here.
            emptyAtSize.clear();
            throw storeUnreachable;
        }
        if (lastToken != null && Long.valueOf(size).equals(emptyAtSize.get(lastToken))) {
            return List.of();
        }
        List<? extends TrackedEventData<?>> batch = super.fetchTrackedEvents(lastToken, batchSize);
        if (!numbered) {
            return batch;
        }
        if (batch.isEmpty()) {
            // Only a position: Axon's token stored before positions is placed anew by every fetch.
            if (lastToken instanceof GlobalSequenceTrackingToken) {
                remember(lastToken, size);
            }
        } else if (batch.size() < batchSize) {
            // The batch held everything there was: a fetch from its last event would find nothing either.
            remember(batch.get(batch.size() - 1).trackingToken(), size);
        }
        return batch;
    }

    private void remember(TrackingToken emptyFrom, long size) {
        if (emptyAtSize.size() >= MAX_REMEMBERED_TOKENS) {
            emptyAtSize.clear();
        }
        emptyAtSize.put(emptyFrom, size);
    }
}
