package io.latchkey.query.rest;

import io.latchkey.support.web.ProblemException;
import io.latchkey.support.events.EventWindows;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
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
 * read of one event) before the view, and the view is polled until it holds that version; one that does not within
 * {@code latchkey.read-model.max-wait} is answered 503 {@code read-model-behind}, never as it stood before.
 */
@Component
class CurrentViews {

    private static final long POLL_MILLIS = 5;
    /** How far back a stream's last events are read for one of a type this release knows. */
    private static final int LATER_TYPES_LOOKED_PAST = 64;

    private final EventWindows windows;
    private final long maxWaitNanos;

    /** {@code windows} read the log as the process's requests do (waiting for the store as they do). */
    CurrentViews(EventWindows windows, @Value("${latchkey.read-model.max-wait:2s}") Duration maxWait) {
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("latchkey.read-model.max-wait must not be negative, got " + maxWait);
        }
        this.windows = windows;
        this.maxWaitNanos = maxWait.toNanos();
    }

    /**
     * The view of stream {@code streamId} once it holds the stream's last event. {@code view} answers empty for a view
     * that is not there or that the caller may not see; {@code ours} tells, from the log, whether a stream the view
     * lacks is one it will show this caller (a stream of another kind, or of another tenant, is not waited for).
     */
    <V> Optional<V> read(String streamId, Supplier<Optional<V>> view, ToLongFunction<V> version,
                         BooleanSupplier ours) {
        Optional<Long> last = windows.lastSequence(streamId);
        Optional<V> found = view.get();
        if (last.isEmpty() || holds(found, version, last.get()) || found.isEmpty() && !ours.getAsBoolean()) {
            return found;
        }
        long target = lastKnown(streamId, last.get());
        long deadline = System.nanoTime() + maxWaitNanos;
        while (!holds(found, version, target) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            found = view.get();
        }
        if (!holds(found, version, target)) {
            throw new ProblemException(503, "read-model-behind", "Service unavailable",
                    "The read model has not yet caught up with the event log; ask again shortly.", 1);
        }
        return found;
    }

    /**
     * The last event up to {@code last} of a type this release knows: one a later release added (stored by a newer
     * command side during an upgrade) is in no view here, and waiting for it would answer every read 503.
     */
    private long lastKnown(String streamId, long last) {
        long from = Math.max(0, last - LATER_TYPES_LOOKED_PAST + 1);
        List<DomainEventMessage<?>> tail = windows.read(streamId, from, (int) (last - from + 1));
        for (int i = tail.size() - 1; i >= 0; i--) {
            if (!(tail.get(i).getPayload() instanceof UnknownSerializedType)) {
                return tail.get(i).getSequenceNumber();
            }
        }
        return from - 1;
    }

    private static <V> boolean holds(Optional<V> found, ToLongFunction<V> version, long last) {
        return found.isPresent() && version.applyAsLong(found.get()) >= last;
    }
}
