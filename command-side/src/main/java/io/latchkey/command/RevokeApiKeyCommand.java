package io.latchkey.command;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;
import org.axonframework.modelling.command.TargetAggregateVersion;

/** Revokes a key for good; {@code reason} is optional free text for the audit log. */
public record RevokeApiKeyCommand(@TargetAggregateIdentifier String keyId, String reason, Instant now,
                                  @TargetAggregateVersion Long expectedVersion) {
}
