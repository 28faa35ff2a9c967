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
            throw ProblemException.invalid("A rate limit needs limit and periodSeconds.");
        }
        // Redis scripts count in doubles and answer a bucket in thousandths of a token: this keeps both exact.
        if (limit < 1 || limit > RateLimit.MAX_REQUESTS) {
            throw ProblemException.invalid("limit must be between 1 and " + RateLimit.MAX_REQUESTS + ".");
        }
        if (periodSeconds < 1 || periodSeconds > RateLimit.MAX_PERIOD_SECONDS) {
            throw ProblemException.invalid("periodSeconds must be between 1 and " + RateLimit.MAX_PERIOD_SECONDS
                    + " (31 days).");
        }
        if (burst != null && (burst < limit || burst > RateLimit.MAX_REQUESTS)) {
            throw ProblemException.invalid("burst must be between limit and " + RateLimit.MAX_REQUESTS + ".");
        }
        return new RateLimit(limit, periodSeconds, burst);
    }
}
