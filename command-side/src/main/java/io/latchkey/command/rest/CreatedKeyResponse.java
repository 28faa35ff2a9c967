package io.latchkey.command.rest;

import java.time.Instant;
import java.util.List;

/** A new key. {@code key} is the plaintext: this response is the only place it ever appears. */
record CreatedKeyResponse(String keyId, String developerId, String name, String key, String hint, List<String> scopes,
                          Instant createdAt, Instant expiresAt, RateLimitBody rateLimit, QuotaBody quota,
                          long version) {

    /** Spring MVC logs what it writes (at debug and trace): the hint, never the key. */
    @Override
    public String toString() {
        return "CreatedKeyResponse[keyId=" + keyId + ", developerId=" + developerId + ", hint=" + hint
                + ", version=" + version + "]";
    }
}
