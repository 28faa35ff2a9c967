package io.latchkey.query;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.DeveloperRateLimitChangedEvent;
import io.latchkey.api.RateLimit;
import io.latchkey.support.events.EventWindows;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.axonframework.eventhandling.DomainEventMessage;
import org.springframework.stereotype.Component;

/**
 * A key as it stood at a past instant, folded from its events in the event store (the read models hold only the
 * present). An event counts from the time the store recorded it; the fold stops at the first event recorded later, a
 * window of events at a time, so a key's later history is not read.
 */
@Component
public class PastStates {

    private static final int WINDOW = 256;

    private final EventWindows windows;

    PastStates(EventWindows windows) {
        this.windows = windows;
    }

    /**
     * The key {@code keyId} at {@code asOf}, with its developer's default rate limit then; empty when no key has that
     * id. {@code key} is null when the key was created after {@code asOf}; its owner is always named, so that the
     * caller's access can be checked before anything else is told.
     */
    public record PastKey(String developerId, Instant createdAt, KeyView key, RateLimit developerDefault) {
    }

    public Optional<PastKey> key(String keyId, Instant asOf) {
        List<DomainEventMessage<?>> first = windows.read(keyId, 0, 1);
        if (first.isEmpty() || !(first.get(0).getPayload() instanceof ApiKeyCreatedEvent created)) {
            return Optional.empty();
        }
        if (first.get(0).getTimestamp().isAfter(asOf)) {
            return Optional.of(new PastKey(created.developerId(), created.createdAt(), null, null));
        }
        KeyView[] key = {KeyView.created(created, first.get(0).getSequenceNumber())};
        recordedBy(keyId, 1, asOf, event -> key[0] = key[0].after(event.getPayload(), event.getSequenceNumber()));
        RateLimit[] developerDefault = {null};
        recordedBy(created.developerId(), 0, asOf, event -> {
            if (event.getPayload() instanceof DeveloperRateLimitChangedEvent changed) {
                developerDefault[0] = changed.rateLimit();
            }
        });
        return Optional.of(new PastKey(created.developerId(), created.createdAt(), key[0], developerDefault[0]));
    }

    /** Hands {@code action} the aggregate's events from sequence {@code from} on, up to the first recorded after. */
    private void recordedBy(String aggregateId, long from, Instant asOf, Consumer<DomainEventMessage<?>> action) {
        long next = from;
        List<DomainEventMessage<?>> window;
        do {
            window = windows.read(aggregateId, next, WINDOW);
            for (DomainEventMessage<?> event : window) {
                if (event.getTimestamp().isAfter(asOf)) {
                    return;
                }
                action.accept(event);
                next = event.getSequenceNumber() + 1;
            }
        } while (window.size() == WINDOW);
    }
}
