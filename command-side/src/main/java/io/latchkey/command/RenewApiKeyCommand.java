package io.latchkey.command;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;
import org.axonframework.modelling.command.TargetAggregateVersion;

/** Moves a key's expiry to a future instant, or removes it (null); an expired key becomes active again. */
public record RenewApiKeyCommand(@TargetAggregateIdentifier String keyId, Instant expiresAt, Instant now,
                                 @TargetAggregateVersion Long expectedVersion) {
}
