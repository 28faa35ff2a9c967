package io.latchkey.command.rest;

import io.latchkey.api.RateLimit;
import io.latchkey.support.web.ProblemException;

/** A rate limit as JSON, in requests and responses; boxed so a missing field is told apart from zero. */
record RateLimitBody(Long limit, Long periodSeconds, Long burst) {

    static RateLimitBody of(RateLimit rateLimit) {
        return rateLimit == null ? null
                : new RateLimitBody(rateLimit.limit(), rateLimit.periodSeconds(), rateLimit.burst());
    }

    RateLimit toRateLimit() {
        if (limit == null || periodSeconds == null) {
            throw ProblemException.invalid("a rate limit needs limit and periodSeconds.");
        }
        // Redis scripts count in doubles and answer a bucket in thousandths of a token: this keeps both exact.
        if (limit > RateLimit.MAX_REQUESTS || burst != null && burst > RateLimit.MAX_REQUESTS) {
            throw ProblemException.invalid("limit and burst must be at most " + RateLimit.MAX_REQUESTS + ".");
        }
        try {
            return new RateLimit(limit, periodSeconds, burst);
        } catch (IllegalArgumentException e) {
            throw ProblemException.invalid(e.getMessage());
        }
    }
}
