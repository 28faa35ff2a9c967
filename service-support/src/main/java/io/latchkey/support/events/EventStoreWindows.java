package io.latchkey.support.events;

import java.util.ArrayList;
import java.util.List;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.EventStore;

/**
 * Windows through the event store's own reads, for an embedded store whose reads fetch a batch at a time: what is
 * left unread was never fetched, so stopping early holds nothing open.
 */
public final class EventStoreWindows implements EventWindows {

    private final EventStore eventStore;

    public EventStoreWindows(EventStore eventStore) {
        this.eventStore = eventStore;
    }

    @Override
    public List<DomainEventMessage<?>> read(String aggregateId, long from, int count) {
        DomainEventStream events = eventStore.readEvents(aggregateId, from);
        List<DomainEventMessage<?>> window = new ArrayList<>(Math.min(count, 1_024));
        while (window.size() < count && events.hasNext()) {
            window.add(events.next());
        }
        return window;
    }
}
