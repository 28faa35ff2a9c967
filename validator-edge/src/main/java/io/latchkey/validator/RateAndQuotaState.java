package io.latchkey.validator;

/**
 * Where a key stands against its rate limit and its monthly quota after one decision that asked both
 * ({@link RateLimiter#acquireWithQuota}).
 *
 * @param rateLimit the rate limit's answer; null when the quota was already used up, so that the request was refused
 *                  by it without taking a token ({@link #usedUp})
 * @param quota     the quota's answer when the rate limit admitted the request or was not asked; null when it refused
 *                  it, since the quota counts admitted requests only
 */
public record RateAndQuotaState(RateLimitState rateLimit, QuotaState quota) {

    public RateAndQuotaState {
        boolean consistent = rateLimit == null ? quota != null && !quota.allowed()
                : rateLimit.allowed() == (quota != null);
        if (!consistent) {
            throw new IllegalArgumentException("a quota's answer comes with an admitted request, and only with one,"
                    + " or alone as a refusal");
        }
    }

    /**
     * A request refused by a quota already used up, before the rate limit was asked: a refused request takes no
     * token, so the key's answer stays the quota's (come back next month) rather than turning into the rate limit's
     * (come back in a second) once refused requests had emptied its bucket.
     */
    public static RateAndQuotaState usedUp(QuotaState refusal) {
        return new RateAndQuotaState(null, refusal);
    }
}
