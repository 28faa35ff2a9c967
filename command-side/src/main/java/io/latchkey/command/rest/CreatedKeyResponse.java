package io.latchkey.command.rest;

import java.time.Instant;
import java.util.List;

/** A new key. {@code key} is the plaintext: this response is the only place it ever appears. */
record CreatedKeyResponse(String keyId, String developerId, String name, String key, String hint, List<String> scopes,
                          Instant createdAt, Instant expiresAt, RateLimitBody rateLimit, QuotaBody quota,
                          long version) {
}
