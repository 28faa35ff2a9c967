package io.latchkey.api;

import java.time.Instant;

/** A key was revoked: every secret of it stops working, for good. */
public record ApiKeyRevokedEvent(String keyId, String reason, Instant revokedAt) {
}
