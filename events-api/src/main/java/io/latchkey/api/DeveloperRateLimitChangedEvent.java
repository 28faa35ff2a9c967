package io.latchkey.api;

import java.time.Instant;

/**
 * A developer's default rate limit was set: it applies to every key of the developer that has no limit of its own.
 * {@code rateLimit} null removes the default (such keys are then not limited).
 */
public record DeveloperRateLimitChangedEvent(String developerId, RateLimit rateLimit, Instant changedAt) {
}
