package io.latchkey.support.events;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.EventStore;

/**
 * Windows through an embedded store's reads (its event store's, or its storage engine's), which fetch a batch at a
 * time: what is left unread was never fetched, so stopping early holds nothing open. An engine that can size its
 * first fetch ({@link SizedReads}) fetches about the window.
 */
public final class EventStoreWindows implements EventWindows {

    private final SizedReads reads;
    private final Function<String, Optional<Long>> lastSequences;

    public EventStoreWindows(EventStore eventStore) {
        this.reads = (aggregateId, from, wanted) -> eventStore.readEvents(aggregateId, from);
        this.lastSequences = eventStore::lastSequenceNumberFor;
    }

    /** Straight from an engine: a process's requests may read through a client of their own. */
    public EventStoreWindows(EventStorageEngine engine) {
        this.reads = engine instanceof SizedReads sized ? sized::readEvents
                : (aggregateId, from, wanted) -> engine.readEvents(aggregateId, from);
        this.lastSequences = engine::lastSequenceNumberFor;
    }

    @Override
    public List<DomainEventMessage<?>> read(String aggregateId, long from, int count) {
        DomainEventStream events = reads.readEvents(aggregateId, from, count);
        List<DomainEventMessage<?>> window = new ArrayList<>(Math.min(count, 1_024));
        while (window.size() < count && events.hasNext()) {
            window.add(events.next());
        }
        return window;
    }

    @Override
    public Optional<Long> lastSequence(String aggregateId) {
        return lastSequences.apply(aggregateId);
    }
}
