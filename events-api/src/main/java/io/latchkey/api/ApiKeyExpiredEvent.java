package io.latchkey.api;

import java.time.Instant;

/**
 * A key passed its expiry. Validators check expiry against their own clock; this event records the fact for the
 * audit log, and ends the key at a validator whose clock runs slow.
 */
public record ApiKeyExpiredEvent(String keyId, Instant expiredAt) {
}
