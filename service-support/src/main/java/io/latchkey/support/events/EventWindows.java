package io.latchkey.support.events;

import java.util.List;
import org.axonframework.eventhandling.DomainEventMessage;

/**
 * Reads a window of one aggregate's events, for callers that want a page of a stream rather than all of it (a key's
 * history). Axon's {@code EventStore.readEvents} gives no bound and no way to stop: on Axon Server a stream read in
 * part keeps its call open. Each backend answers with a bounded read that is over when this returns.
 */
public interface EventWindows {

    /** At most {@code count} of the aggregate's events, from sequence {@code from} on, in order. */
    List<DomainEventMessage<?>> read(String aggregateId, long from, int count);
}
