package io.latchkey.command;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Records that a key has passed its expiry, if it has by {@code now}; sending it again changes nothing. */
public record ExpireApiKeyCommand(@TargetAggregateIdentifier String keyId, Instant now) {
}
