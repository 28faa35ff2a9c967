package io.latchkey.query;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.validator.KeyReplica;
import io.latchkey.validator.hazelcast.HazelcastKeyReplica;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.util.Map;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.TrackingEventProcessor;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Tells the edges when the replica projection has caught up with the event log, so they can turn ready. Publishes
 * again whenever the map has grown since, so that an edge joining later waits for every entry written until then.
 */
@Component
class ReplicaCatchUpPublisher {

    private final EventProcessingConfiguration processing;
    private final ReplicaWriter writer;
    private final KeyReplica replica;
    private int publishedSize = -1;

    ReplicaCatchUpPublisher(EventProcessingConfiguration processing, HazelcastInstance hazelcast) {
        this.processing = processing;
        this.writer = ReplicaWriter.of(hazelcast);
        this.replica = HazelcastKeyReplica.of(hazelcast);
    }

    @Scheduled(fixedDelay = 250)
    void publishWhenCaughtUp() {
        int size = replica.size();
        if (size != publishedSize && caughtUp()) {
            writer.publishCaughtUp();
            publishedSize = size;
        }
    }

    private boolean caughtUp() {
        return processing.eventProcessor(ActiveKeyReplicaProjection.GROUP, TrackingEventProcessor.class)
                .map(TrackingEventProcessor::processingStatus)
                .filter(status -> !status.isEmpty())
                .map(Map::values)
                .map(statuses -> statuses.stream().allMatch(EventTrackerStatus::isCaughtUp))
                .orElse(false);
    }
}
