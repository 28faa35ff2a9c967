package io.latchkey.api;

import java.time.Instant;

/**
 * A key's monthly request quota was set: at most {@code requestsPerMonth} admitted requests per calendar month
 * (UTC). {@code requestsPerMonth} null removes the quota.
 */
public record ApiKeyQuotaChangedEvent(String keyId, Long requestsPerMonth, Instant changedAt) {
}
