package io.latchkey.command.rest;

import java.time.Instant;

/** A key's new secret. {@code key} is the plaintext: this response is the only place it ever appears. */
record RotatedKeyResponse(String keyId, String key, String hint, Instant previousKeyValidUntil, long version) {
}
