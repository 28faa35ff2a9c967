package io.latchkey.command;

import io.latchkey.api.RateLimit;
import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;
import org.axonframework.modelling.command.TargetAggregateVersion;

/** Sets a key's rate limit. */
public record SetApiKeyRateLimitCommand(@TargetAggregateIdentifier String keyId, RateLimit rateLimit, Instant now,
                                        @TargetAggregateVersion Long expectedVersion) {
}
