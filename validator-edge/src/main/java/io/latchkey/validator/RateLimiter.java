package io.latchkey.validator;

import io.latchkey.api.RateLimit;

/**
 * Takes one token from a key's bucket. Implementations are thread-safe and never throw for a backend failure: they
 * decide from what they have locally instead, so a lost rate-limit backend never refuses or admits a key the
 * replica did not. Buckets are named by key id, never by anything derived from the secret.
 */
public interface RateLimiter {

    /** Takes a token for {@code keyId} under {@code limit}; the limit may change between calls and applies at once. */
    RateLimitState acquire(String keyId, RateLimit limit);
}
