package io.latchkey.command.rest;

import io.latchkey.support.web.ProblemException;

/** A monthly request quota as JSON, in requests and responses; boxed so a missing field is told apart from zero. */
record QuotaBody(Long requestsPerMonth) {

    /** Far above any real month's traffic, low enough that counters and sums of counters never overflow. */
    static final long MAX_REQUESTS_PER_MONTH = 1_000_000_000_000L;

    static QuotaBody of(Long requestsPerMonth) {
        return requestsPerMonth == null ? null : new QuotaBody(requestsPerMonth);
    }

    long toRequestsPerMonth() {
        if (requestsPerMonth == null || requestsPerMonth < 1 || requestsPerMonth > MAX_REQUESTS_PER_MONTH) {
            throw ProblemException.invalid("A quota needs requestsPerMonth between 1 and " + MAX_REQUESTS_PER_MONTH
                    + ".");
        }
        return requestsPerMonth;
    }
}
