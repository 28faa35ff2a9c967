package io.latchkey.api;

import java.time.Instant;

/** A key's rate limit was set; {@code rateLimit} null returns the key to the default limit. */
public record ApiKeyRateLimitChangedEvent(String keyId, RateLimit rateLimit, Instant changedAt) {
}
