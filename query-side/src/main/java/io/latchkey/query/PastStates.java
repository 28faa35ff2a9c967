package io.latchkey.query;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.DeveloperRateLimitChangedEvent;
import io.latchkey.api.RateLimit;
import io.latchkey.support.events.EventWindows;
import io.latchkey.support.store.StoreAutoConfiguration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.axonframework.eventhandling.DomainEventMessage;
import org.springframework.stereotype.Component;

/**
 * A key as it stood at a past instant, folded from its events in the event store (the read models hold only the
 * present). An event counts from the time the store recorded it; the fold stops at the first event recorded later, a
 * window of events at a time, so a key's later history is not read, and at {@code maxEvents} events read in all.
 */
@Component
public class PastStates {

    /** The embedded store reads a stream a batch at a time: a window of a batch is one fetch, no event read twice. */
    private static final int WINDOW = StoreAutoConfiguration.READ_BATCH;

    private final EventWindows windows;

    PastStates(EventWindows windows) {
        this.windows = windows;
    }

    /** A key's creation and when the store recorded it. */
    public record Creation(ApiKeyCreatedEvent event, long sequence, Instant recordedAt) {
    }

    /** The key at an instant, with its developer's default rate limit then (null: none). */
    public record PastKey(KeyView key, RateLimit developerDefault) {
    }

    /** The fold would read more than it may. */
    public static final class TooManyEvents extends RuntimeException {
        TooManyEvents() {
            super(null, null, false, false);
        }
    }

    /** The key's creation, from its first event alone; empty when no key has that id. */
    public Optional<Creation> creation(String keyId) {
        return creationIn(windows.read(keyId, 0, 1));
    }

    /**
     * The creation a window read from a stream's start begins with; empty when the stream is no key's (empty, or
     * another aggregate's: a key's stream always starts with its creation).
     */
    public static Optional<Creation> creationIn(List<DomainEventMessage<?>> start) {
        if (start.isEmpty() || !(start.get(0).getPayload() instanceof ApiKeyCreatedEvent created)) {
            return Optional.empty();
        }
        return Optional.of(new Creation(created, start.get(0).getSequenceNumber(), start.get(0).getTimestamp()));
    }

    /**
     * The key created by {@code creation} (recorded by {@code asOf}) as it stood at {@code asOf}; throws
     * {@link TooManyEvents} rather than read more than {@code maxEvents} of its and its developer's events.
     */
    public PastKey key(Creation creation, Instant asOf, int maxEvents) {
        String keyId = creation.event().keyId();
        int[] budget = {maxEvents};
        KeyView[] key = {KeyView.created(creation.event(), creation.sequence())};
        recordedBy(keyId, creation.sequence() + 1, asOf, budget,
                event -> key[0] = key[0].after(event.getPayload(), event.getSequenceNumber()));
        RateLimit[] developerDefault = {null};
        recordedBy(creation.event().developerId(), 0, asOf, budget, event -> {
            if (event.getPayload() instanceof DeveloperRateLimitChangedEvent changed) {
                developerDefault[0] = changed.rateLimit();
            }
        });
        return new PastKey(key[0], developerDefault[0]);
    }

    /**
     * Hands {@code action} the aggregate's events from sequence {@code from} on, up to the first recorded after
     * {@code asOf}. A window shorter than asked for is the stream's end: every upcaster here reads one stored event
     * as one event.
     */
    private void recordedBy(String aggregateId, long from, Instant asOf, int[] budget,
                            Consumer<DomainEventMessage<?>> action) {
        long next = from;
        List<DomainEventMessage<?>> window;
        do {
            window = windows.read(aggregateId, next, WINDOW);
            for (DomainEventMessage<?> event : window) {
                if (event.getTimestamp().isAfter(asOf)) {
                    return;
                }
                if (--budget[0] < 0) {
                    throw new TooManyEvents();
                }
                action.accept(event);
                next = event.getSequenceNumber() + 1;
            }
        } while (window.size() == WINDOW);
    }
}
