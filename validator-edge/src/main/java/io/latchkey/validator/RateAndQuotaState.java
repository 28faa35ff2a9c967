package io.latchkey.validator;

import java.util.Objects;

/**
 * Where a key stands against its rate limit and its monthly quota after one decision that asked both
 * ({@link RateLimiter#acquireWithQuota}).
 *
 * @param rateLimit the rate limit's answer
 * @param quota     the quota's answer when the rate limit admitted the request; null when it refused it, since the
 *                  quota counts admitted requests only
 */
public record RateAndQuotaState(RateLimitState rateLimit, QuotaState quota) {

    public RateAndQuotaState {
        Objects.requireNonNull(rateLimit, "rateLimit");
        if (rateLimit.allowed() != (quota != null)) {
            throw new IllegalArgumentException("a quota's answer comes with an admitted request, and only with one");
        }
    }
}
