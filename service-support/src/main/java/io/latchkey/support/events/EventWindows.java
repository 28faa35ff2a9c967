package io.latchkey.support.events;

import java.util.List;
import java.util.Optional;
import org.axonframework.eventhandling.DomainEventMessage;

/**
 * Reads a window of one aggregate's events, for callers that want a page of a stream rather than all of it (a key's
 * history). Axon's {@code EventStore.readEvents} gives no bound and no way to stop: on Axon Server a stream read in
 * part keeps its call open. Each backend answers with a bounded read that is over when this returns.
 */
public interface EventWindows {

    /** At most {@code count} of the aggregate's events, from sequence {@code from} on, in order. */
    List<DomainEventMessage<?>> read(String aggregateId, long from, int count);

    /**
     * The sequence number of the aggregate's last event; empty when it has none. Backends ask for it in one query;
     * this default reads the stream through.
     */
    default Optional<Long> lastSequence(String aggregateId) {
        Long last = null;
        for (List<DomainEventMessage<?>> window = read(aggregateId, 0, 1_024); !window.isEmpty();
                window = read(aggregateId, last + 1, 1_024)) {
            last = window.get(window.size() - 1).getSequenceNumber();
        }
        return Optional.ofNullable(last);
    }
}
