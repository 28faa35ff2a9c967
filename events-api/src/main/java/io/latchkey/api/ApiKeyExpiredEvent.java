package io.latchkey.api;

import java.time.Instant;

/**
 * A key passed its expiry. Validators check expiry against their own clock, so this event records the fact
 * for the audit log; it is not what makes an expired key fail.
 */
public record ApiKeyExpiredEvent(String keyId, Instant expiredAt) {
}
