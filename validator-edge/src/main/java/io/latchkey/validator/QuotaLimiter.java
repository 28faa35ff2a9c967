package io.latchkey.validator;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Counts requests against a key's quota per calendar month (UTC). Asked only for a key that is otherwise allowed,
 * rate limit included, so the count is of admitted requests; a quota known to be used up ({@link #usedUp}) refuses
 * before the rate limit is asked. Implementations are thread-safe and, like {@link RateLimiter}, never throw for a
 * backend failure: they decide from what they know locally instead.
 */
public interface QuotaLimiter {

    /** Counts one request of {@code keyId} at {@code now} unless that would exceed {@code requestsPerMonth}. */
    QuotaState consume(String keyId, long requestsPerMonth, Instant now);

    /**
     * The refusal of a request of {@code keyId} at {@code now} when this limiter knows, without asking a backend, that
     * the key's quota has no room left this month; null otherwise. A rate limiter asks it before taking a token for
     * a key with a quota ({@link RateLimiter#acquireWithQuota}), so refused requests do not empty the key's bucket,
     * and may ask it on an event loop: it must not block. A limiter that does not implement it (this default) leaves
     * a refused request's token taken, so that the key's refusals may alternate between its quota and its rate limit.
     */
    default QuotaState usedUp(String keyId, long requestsPerMonth, Instant now) {
        return null;
    }

    /**
     * As {@link #consume}, for callers that must not block: see {@link RateLimiter#acquireAsync}. It may be called on
     * the thread that completed the rate limiter's stage (a Redis client's I/O thread, or the link's deadline thread
     * when the budget ran out), so a limiter that waits on a backend must override it.
     */
    default CompletionStage<QuotaState> consumeAsync(String keyId, long requestsPerMonth, Instant now) {
        return CompletableFuture.completedFuture(consume(keyId, requestsPerMonth, now));
    }
}
