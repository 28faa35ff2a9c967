package io.latchkey.command;

import io.latchkey.api.UsageCount;
import java.time.Instant;
import java.util.List;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** One edge report's counts for one key; {@code usageId} is {@link KeyUsage#idOf} the key. */
public record RecordKeyUsageCommand(@TargetAggregateIdentifier String usageId, String keyId, String edgeId,
                                    long batchSequence, List<UsageCount> counts, Instant lastUsedAt, Instant now) {
}
