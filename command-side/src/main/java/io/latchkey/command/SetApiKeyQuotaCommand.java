package io.latchkey.command;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;
import org.axonframework.modelling.command.TargetAggregateVersion;

/** Sets a key's monthly request quota; {@code requestsPerMonth} null removes it. */
public record SetApiKeyQuotaCommand(@TargetAggregateIdentifier String keyId, Long requestsPerMonth, Instant now,
                                    @TargetAggregateVersion Long expectedVersion) {
}
