package io.latchkey.support.events;

import org.axonframework.eventsourcing.eventstore.DomainEventStream;

/**
 * An event storage engine that sizes its first fetch of an aggregate's events by how many its reader wants, as a
 * window knows; a read past them fetches more.
 */
public interface SizedReads {

    DomainEventStream readEvents(String aggregateIdentifier, long firstSequenceNumber, int wanted);
}
