package io.latchkey.api;

import java.time.Instant;

/** A key's expiry was moved; {@code expiresAt} null means it no longer expires. */
public record ApiKeyRenewedEvent(String keyId, Instant expiresAt, Instant renewedAt) {
}
