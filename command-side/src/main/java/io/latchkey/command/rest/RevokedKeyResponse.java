package io.latchkey.command.rest;

import java.time.Instant;

/** A revoked key. */
record RevokedKeyResponse(String keyId, Instant revokedAt, long version) {
}
