package io.latchkey.query.rest;

import io.latchkey.query.KeyUsageProjection;
import io.latchkey.validator.QuotaState;
import java.time.Instant;
import java.time.YearMonth;

/**
 * A key's monthly quota as key detail shows it: the calendar month (UTC) it counts, the requests edges admitted in it
 * as reported so far (a few seconds behind the edges), what remains, and when the count starts again.
 */
record QuotaStatus(long requestsPerMonth, String period, long used, long remaining, Instant resetsAt) {

    static QuotaStatus of(Long requestsPerMonth, KeyUsageProjection.Summary usage, Instant now) {
        if (requestsPerMonth == null) {
            return null;
        }
        YearMonth month = QuotaState.month(now);
        long used = usage == null ? 0 : usage.admittedByMonth().getOrDefault(month.toString(), 0L);
        return new QuotaStatus(requestsPerMonth, month.toString(), used, Math.max(0, requestsPerMonth - used),
                QuotaState.resetsAt(month));
    }
}
