package io.latchkey.command.rest;

import java.time.Instant;

/** Body of {@code POST /v1/keys/{keyId}/renew}. */
record RenewRequest(Instant expiresAt) {
}
