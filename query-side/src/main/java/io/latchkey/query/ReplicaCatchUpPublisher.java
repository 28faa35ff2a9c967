package io.latchkey.query;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.TrackingEventProcessor;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Tells the edges, five times a second, that the replica projection is caught up with the event log: they turn ready
 * once they hold what the map held then, and measure their lag by it. Silent while the projection is behind, so
 * edges notice a stalled or lagging writer as well as their own isolation.
 */
@Component
class ReplicaCatchUpPublisher {

    private final EventProcessingConfiguration processing;
    private final ReplicaWriter writer;
    private final Clock clock;

    ReplicaCatchUpPublisher(EventProcessingConfiguration processing, HazelcastInstance hazelcast, Clock clock) {
        this.processing = processing;
        this.writer = ReplicaWriter.of(hazelcast);
        this.clock = clock;
    }

    @Scheduled(fixedDelay = 200)
    void publishWhenCaughtUp() {
        // "Caught up" dates from the processor's last poll, so asOf may be ahead of the truth by one polling delay
        // (50 ms embedded); lag bounds are seconds.
        Instant asOf = clock.instant();
        if (caughtUp()) {
            writer.publishCaughtUp(asOf);
        }
    }

    private boolean caughtUp() {
        return processing.eventProcessor(ActiveKeyReplicaProjection.GROUP, TrackingEventProcessor.class)
                .map(TrackingEventProcessor::processingStatus)
                .map(Map::values)
                .map(ReplicaCatchUpPublisher::caughtUp)
                .orElse(false);
    }

    /**
     * Every segment caught up and none failing. Axon keeps a segment's "caught up" once set, through the errors of a
     * handler that keeps failing (the processor retrying with back-off), so a failing one counts as behind: its
     * edges must see their lag grow and stop trusting their replica.
     */
    static boolean caughtUp(Collection<? extends EventTrackerStatus> segments) {
        return !segments.isEmpty()
                && segments.stream().allMatch(segment -> segment.isCaughtUp() && !segment.isErrorState());
    }
}
