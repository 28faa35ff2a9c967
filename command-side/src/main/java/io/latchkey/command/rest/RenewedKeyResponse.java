package io.latchkey.command.rest;

import java.time.Instant;

/** A key's new expiry. */
record RenewedKeyResponse(String keyId, Instant expiresAt, long version) {
}
