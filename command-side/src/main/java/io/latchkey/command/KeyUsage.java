package io.latchkey.command;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import io.latchkey.api.ApiKeyUsageRecordedEvent;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.modelling.command.AggregateCreationPolicy;
import org.axonframework.modelling.command.AggregateIdentifier;
import org.axonframework.modelling.command.CreationPolicy;
import org.axonframework.spring.stereotype.Aggregate;

/**
 * The usage stream of one key ({@code usage:<keyId>}), apart from the key's own stream so that counting never
 * contends with managing the key. It remembers the last report applied from each edge, so a report an edge sends
 * again (its acknowledgement was lost) is recorded once, and forgets an edge a day after its last report: an edge
 * gives a report up after an hour of resending it ({@code UsageReporter}), and every edge start is a new edge, so
 * remembering them all would grow every busy key's state for good. Snapshotted and cached: a busy key's stream grows
 * by one event per edge per flush interval. Fields are visible to Jackson for the snapshots.
 */
@Aggregate(snapshotTriggerDefinition = "keyUsageSnapshotTrigger", cache = "keyUsageCache")
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
public class KeyUsage {

    /** Far longer than an edge resends a report. */
    static final Duration EDGE_MEMORY = Duration.ofDays(1);

    @AggregateIdentifier
    private String usageId;
    private Map<String, Long> lastBatchByEdge = new HashMap<>();
    /** When each edge's last report was recorded (epoch millis); absent from snapshots made before it was kept. */
    private Map<String, Long> lastReportAtByEdge = new HashMap<>();

    protected KeyUsage() {
        // Created on a key's first report; rebuilt by Axon from its events or a snapshot.
    }

    public static String idOf(String keyId) {
        return ApiKeyUsageRecordedEvent.streamOf(keyId);
    }

    /** True when the report was recorded, false when it had been already. */
    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    boolean handle(RecordKeyUsageCommand command) {
        if (command.counts().isEmpty() || command.counts().stream().anyMatch(count -> count.count() < 1)) {
            throw new RuleViolation(RuleViolation.INVALID_USAGE, "A usage report needs counts of at least 1.");
        }
        if (lastBatchByEdge.getOrDefault(command.edgeId(), 0L) >= command.batchSequence()) {
            return false;
        }
        apply(new ApiKeyUsageRecordedEvent(command.keyId(), command.edgeId(), command.batchSequence(),
                command.counts(), command.lastUsedAt(), command.now()));
        return true;
    }

    @EventSourcingHandler
    void on(ApiKeyUsageRecordedEvent event) {
        usageId = idOf(event.keyId());
        lastBatchByEdge.merge(event.edgeId(), event.batchSequence(), Math::max);
        long at = event.recordedAt().toEpochMilli();
        lastReportAtByEdge.merge(event.edgeId(), at, Math::max);
        // Edges remembered from before their times were kept are dated by this report.
        lastBatchByEdge.keySet().forEach(edge -> lastReportAtByEdge.putIfAbsent(edge, at));
        lastReportAtByEdge.entrySet().removeIf(edge -> {
            boolean gone = at - edge.getValue() > EDGE_MEMORY.toMillis();
            if (gone) {
                lastBatchByEdge.remove(edge.getKey());
            }
            return gone;
        });
    }
}
