package io.latchkey.validator.redis;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.RateLimiter;

/** Counting what a limiter admits, for the Redis limiters' tests. */
final class Admissions {

    private Admissions() {
    }

    /** How many of {@code asks} requests for {@code keyId}, one after the other, {@code limiter} admits. */
    static int admitted(RateLimiter limiter, String keyId, RateLimit limit, int asks) {
        int admitted = 0;
        for (int i = 0; i < asks; i++) {
            admitted += limiter.acquire(keyId, limit).allowed() ? 1 : 0;
        }
        return admitted;
    }
}
