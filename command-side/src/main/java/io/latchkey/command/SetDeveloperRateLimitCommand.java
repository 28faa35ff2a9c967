package io.latchkey.command;

import io.latchkey.api.RateLimit;
import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;
import org.axonframework.modelling.command.TargetAggregateVersion;

/**
 * Sets (or, with null, removes) a developer's default rate limit for keys without one of their own; with an
 * {@code expectedVersion}, only if the account is still at that version.
 */
public record SetDeveloperRateLimitCommand(@TargetAggregateIdentifier String developerId, RateLimit rateLimit,
                                           Instant now, @TargetAggregateVersion Long expectedVersion) {
}
