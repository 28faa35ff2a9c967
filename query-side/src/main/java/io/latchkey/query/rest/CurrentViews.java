package io.latchkey.query.rest;

import io.latchkey.support.web.ProblemException;
import io.latchkey.support.events.EventWindows;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.serialization.UnknownSerializedType;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Reads a view no older than the event log was when the request came. A read model is written by its projection a
 * few milliseconds after the command side has answered, so a client following a create's {@code Location}, or
 * reading a key it has just changed, would otherwise be told the key does not exist, or be shown the version before
 * its change and send a stale {@code If-Match}. The stream's last sequence number is asked of the event log (one
 * query) before the view, and the view is polled, less often as the wait goes on, until it holds that version; one
 * that does not within {@code latchkey.read-model.max-wait} is answered 503 {@code read-model-behind}, never as it
 * stood before, and so is a read that would wait while {@code latchkey.read-model.max-waiting} others do.
 */
@Component
class CurrentViews {

    /** What a read needs of a view: its latest version (a key's detail), or only that it is there (its usage). */
    enum Freshness { LATEST, EXISTS }

    private static final long FIRST_POLL_MILLIS = 5;
    private static final long LONGEST_POLL_MILLIS = 50;
    /** How far back a stream's last events are read for one of a type this release knows. */
    private static final int LATER_TYPES_LOOKED_PAST = 64;

    private final EventWindows windows;
    private final long maxWaitNanos;
    /**
     * Reads waiting at once, at most: each holds a request thread, and their polls go to the collection the projection
     * they wait for must write to, so many (a client polling through a projection's restart) would slow it further.
     */
    private final int maxWaiting;
    private final AtomicInteger waiting = new AtomicInteger();

    /** {@code windows} read the log as the process's requests do (waiting for the store as they do). */
    CurrentViews(EventWindows windows, @Value("${latchkey.read-model.max-wait:2s}") Duration maxWait,
                 @Value("${latchkey.read-model.max-waiting:16}") int maxWaiting) {
        if (maxWait.isNegative() || maxWaiting < 0) {
            throw new IllegalArgumentException("latchkey.read-model.max-wait and .max-waiting must not be negative, "
                    + "got " + maxWait + " and " + maxWaiting);
        }
        this.windows = windows;
        this.maxWaitNanos = maxWait.toNanos();
        this.maxWaiting = maxWaiting;
    }

    /**
     * The view of stream {@code streamId} once it holds the stream's last event ({@code LATEST}), or once it is there
     * at all ({@code EXISTS}, which asks the log nothing for a view that is). {@code view} answers empty for a view
     * that is not there or that the caller may not see; {@code ours} tells, from the log, whether a stream the view
     * lacks is one it will show this caller (a stream of another kind, or of another tenant, is not waited for).
     */
    <V> Optional<V> read(String streamId, Freshness freshness, Supplier<Optional<V>> view, ToLongFunction<V> version,
                         BooleanSupplier ours) {
        Optional<Long> last = freshness == Freshness.LATEST ? windows.lastSequence(streamId) : Optional.empty();
        Optional<V> found = view.get();
        if (found.isPresent() && (last.isEmpty() || holds(found, version, last.get()))
                || found.isEmpty() && (freshness == Freshness.LATEST && last.isEmpty() || !ours.getAsBoolean())) {
            return found;
        }
        long target = last.isEmpty() ? -1 : lastKnown(streamId, last.get());
        if (holds(found, version, target)) {
            return found;
        }
        if (waiting.incrementAndGet() > maxWaiting) {
            waiting.decrementAndGet();
            throw behind();
        }
        try {
            return waited(found, view, version, target);
        } finally {
            waiting.decrementAndGet();
        }
    }

    private <V> Optional<V> waited(Optional<V> found, Supplier<Optional<V>> view, ToLongFunction<V> version,
                                   long target) {
        long deadline = System.nanoTime() + maxWaitNanos;
        long pause = FIRST_POLL_MILLIS;
        while (!holds(found, version, target) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            pause = Math.min(pause * 2, LONGEST_POLL_MILLIS);
            found = view.get();
        }
        if (!holds(found, version, target)) {
            throw behind();
        }
        return found;
    }

    private static ProblemException behind() {
        return new ProblemException(503, "read-model-behind", "Service unavailable",
                "The read model has not yet caught up with the event log; ask again shortly.", 1);
    }

    /**
     * The last event up to {@code last} of a type this release knows: one a later release added (stored by a newer
     * command side during an upgrade) is in no view here, and waiting for it would answer every read 503. None in the
     * last {@value #LATER_TYPES_LOOKED_PAST}: -1, so that the view need only be there.
     */
    private long lastKnown(String streamId, long last) {
        long from = Math.max(0, last - LATER_TYPES_LOOKED_PAST + 1);
        List<DomainEventMessage<?>> tail = windows.read(streamId, from, (int) (last - from + 1));
        for (int i = tail.size() - 1; i >= 0; i--) {
            if (!(tail.get(i).getPayload() instanceof UnknownSerializedType)) {
                return tail.get(i).getSequenceNumber();
            }
        }
        return -1;
    }

    private static <V> boolean holds(Optional<V> found, ToLongFunction<V> version, long target) {
        return found.isPresent() && version.applyAsLong(found.get()) >= target;
    }
}
