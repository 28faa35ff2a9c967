package io.latchkey.support.axonserver;

import io.axoniq.axonserver.connector.event.AggregateEventStream;
import io.latchkey.support.events.EventWindows;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.axonframework.axonserver.connector.AxonServerConnectionManager;
import org.axonframework.axonserver.connector.event.axon.GrpcBackedDomainEventData;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventsourcing.EventStreamUtils;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.upcasting.event.EventUpcaster;

/**
 * Windows read from Axon Server with an upper sequence, so the server ends the call itself, and cancelled in any
 * case: a stream left unread would otherwise keep its call and up to 512 buffered events for good. Events are
 * upcast and deserialized as Axon's own Axon Server event store does, given its metadata-aware serializer.
 */
public final class AxonServerEventWindows implements EventWindows {

    /** How long a query waits for the server, as a request waits for the embedded store's reads. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);

    private final AxonServerConnectionManager connections;
    private final String context;
    private final Serializer eventSerializer;
    private final EventUpcaster upcasters;

    public AxonServerEventWindows(AxonServerConnectionManager connections, String context, Serializer eventSerializer,
                                  EventUpcaster upcasters) {
        this.connections = connections;
        this.context = context;
        this.eventSerializer = eventSerializer;
        this.upcasters = upcasters;
    }

    @Override
    public List<DomainEventMessage<?>> read(String aggregateId, long from, int count) {
        if (count <= 0) {
            return List.of();
        }
        // One past the window: the bound holds whether the server reads it as inclusive or not.
        AggregateEventStream stream = connections.getConnection(context).eventChannel()
                .openAggregateStream(aggregateId, from, from + count);
        try {
            return EventStreamUtils.asStream(EventStreamUtils.upcastAndDeserializeDomainEvents(
                            stream.asStream().map(GrpcBackedDomainEventData::new), eventSerializer, upcasters))
                    .limit(count)
                    .<DomainEventMessage<?>>map(event -> event)
                    .toList();
        } finally {
            stream.cancel();
        }
    }

    @Override
    public Optional<Long> lastSequence(String aggregateId) {
        // The server answers -1 for an aggregate without events.
        long highest = connections.getConnection(context).eventChannel().findHighestSequence(aggregateId)
                .orTimeout(ANSWER_TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
        return highest < 0 ? Optional.empty() : Optional.of(highest);
    }
}
