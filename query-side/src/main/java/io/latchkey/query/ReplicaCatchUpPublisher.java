package io.latchkey.query;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.OptionalLong;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.TrackingEventProcessor;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Tells the edges, five times a second, how far the replica projection has got: "caught up as of T" means that every
 * event appended before T is in the map. They turn ready once they hold what the map held then, and measure their lag
 * by it. Each tick notes the event log's head and the time; T is the time of the latest note whose head the projection
 * has reached. So a projection that stalls (a handler waiting on a lock or a put) or falls behind publishes nothing
 * newer, and edges see their lag grow, as they do when they are cut off.
 */
@Component
class ReplicaCatchUpPublisher {

    private static final Logger log = LoggerFactory.getLogger(ReplicaCatchUpPublisher.class);

    private final EventProcessingConfiguration processing;
    private final EventStore eventStore;
    private final ReplicaWriter writer;
    private final Clock clock;
    private final ReplicaReconciler reconciler;
    private final Notes notes = new Notes();
    /** Only the scheduler's thread uses it. */
    private boolean headUnreadable;

    ReplicaCatchUpPublisher(EventProcessingConfiguration processing, EventStore eventStore,
                            HazelcastInstance hazelcast, Clock clock, ReplicaReconciler reconciler) {
        this.processing = processing;
        this.eventStore = eventStore;
        this.writer = ReplicaWriter.of(hazelcast);
        this.clock = clock;
        this.reconciler = reconciler;
    }

    @Scheduled(fixedDelay = 200)
    void publishWhenCaughtUp() {
        // The time first, then the head: the head holds every event appended before that time.
        Instant now = clock.instant();
        TrackingToken head;
        try {
            head = eventStore.createHeadToken();
        } catch (RuntimeException unreadable) {
            // Nothing is published, so the edges' lag grows: once when it begins, not a stack trace every tick.
            if (!headUnreadable) {
                log.warn("The event log's head cannot be read, so the replica is confirmed to no edge until it can",
                        unreadable);
                headUnreadable = true;
            }
            return;
        }
        if (headUnreadable) {
            log.info("The event log's head can be read again");
            headUnreadable = false;
        }
        notes.note(now, head == null ? 0 : head.position().orElse(0));
        Instant reached = notes.reached(processing.eventProcessor(ActiveKeyReplicaProjection.GROUP,
                        TrackingEventProcessor.class)
                .map(processor -> processor.processingStatus().values())
                .map(ReplicaCatchUpPublisher::applied)
                .orElse(OptionalLong.empty()));
        if (reached != null && reconciler.settled()) {
            writer.publishSize();
            // Asked again as the confirmation goes out: a merge may have begun while the size was sent.
            reconciler.confirmIfSettled(() -> writer.confirm(reached));
        }
    }

    /**
     * (time, head) notes, oldest first, and which of them a position has reached; only the scheduler's thread uses
     * them.
     */
    static final class Notes {
        /** Ten minutes of ticks; older notes are dropped, which only delays what is published. */
        private static final int MAX_NOTES = 3_000;

        private final Deque<Note> notes = new ArrayDeque<>();

        private record Note(Instant asOf, long head) {
        }

        void note(Instant asOf, long head) {
            // A head lower than one noted: a crash took positions back, which no processor can reach now.
            if (!notes.isEmpty() && head < notes.peekLast().head()) {
                List<Note> clamped = notes.stream().map(each -> new Note(each.asOf(), Math.min(each.head(), head)))
                        .toList();
                notes.clear();
                notes.addAll(clamped);
            }
            notes.addLast(new Note(asOf, head));
            if (notes.size() > MAX_NOTES) {
                notes.removeFirst();
            }
        }

        /** The time of the latest note whose head {@code applied} has reached (those notes are done with), or null. */
        Instant reached(OptionalLong applied) {
            Instant reached = null;
            while (applied.isPresent() && !notes.isEmpty() && notes.peekFirst().head() <= applied.getAsLong()) {
                reached = notes.removeFirst().asOf();
            }
            return reached;
        }
    }

    /**
     * The position every segment has applied, once each has caught up with the log; empty before, or while any
     * segment fails. Axon keeps a segment's "caught up" once set, through the errors of a handler that keeps failing
     * (the processor retrying with back-off), so a failing one counts as behind: its edges must see their lag grow
     * and stop trusting their replica.
     */
    static OptionalLong applied(Collection<? extends EventTrackerStatus> segments) {
        if (segments.isEmpty() || !segments.stream().allMatch(segment -> segment.isCaughtUp()
                && !segment.isErrorState())) {
            return OptionalLong.empty();
        }
        // A segment caught up without a position has read nothing, which is everything only while the log is empty.
        return OptionalLong.of(segments.stream().mapToLong(segment -> segment.getCurrentPosition().orElse(0))
                .min().orElseThrow());
    }
}
