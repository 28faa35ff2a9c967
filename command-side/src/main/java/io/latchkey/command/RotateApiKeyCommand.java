package io.latchkey.command;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;
import org.axonframework.modelling.command.TargetAggregateVersion;

/**
 * Gives a key a new secret (by its hash and hint) under the same key id; the current secret keeps working until
 * {@code previousSecretValidUntil}.
 */
public record RotateApiKeyCommand(@TargetAggregateIdentifier String keyId, String secretHash, String hint,
                                  Instant previousSecretValidUntil, Instant now,
                                  @TargetAggregateVersion Long expectedVersion) {
}
