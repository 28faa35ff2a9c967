package io.latchkey.command;

import io.latchkey.api.RateLimit;
import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Sets (or, with null, removes) a developer's default rate limit for keys without one of their own. */
public record SetDeveloperRateLimitCommand(@TargetAggregateIdentifier String developerId, RateLimit rateLimit,
                                           Instant now) {
}
