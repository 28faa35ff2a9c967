package io.latchkey.validator;

import io.latchkey.api.RateLimit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Takes one token from a key's bucket. Implementations are thread-safe and never throw for a backend failure: they
 * decide from what they have locally instead, so a lost rate-limit backend never refuses or admits a key the
 * replica did not. Buckets are named by key id, never by anything derived from the secret.
 */
public interface RateLimiter {

    /** Takes a token for {@code keyId} under {@code limit}; the limit may change between calls and applies at once. */
    RateLimitState acquire(String keyId, RateLimit limit);

    /**
     * As {@link #acquire}, for callers that must not block (an event loop): limiters that wait on a backend override
     * this to complete when it answers, within their budget. The stage never completes exceptionally for a backend
     * failure.
     */
    default CompletionStage<RateLimitState> acquireAsync(String keyId, RateLimit limit) {
        return CompletableFuture.completedFuture(acquire(keyId, limit));
    }
}
