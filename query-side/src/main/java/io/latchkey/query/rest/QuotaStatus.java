package io.latchkey.query.rest;

import io.latchkey.query.KeyUsageProjection;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;

/**
 * A key's monthly quota as key detail shows it: the calendar month (UTC) it counts, the requests edges admitted in it
 * as reported so far (a few seconds behind the edges), what remains, and when the count starts again.
 */
record QuotaStatus(long requestsPerMonth, String period, long used, long remaining, Instant resetsAt) {

    static QuotaStatus of(Long requestsPerMonth, KeyUsageProjection.Summary usage, Instant now) {
        if (requestsPerMonth == null) {
            return null;
        }
        YearMonth month = YearMonth.from(now.atZone(ZoneOffset.UTC));
        long used = usage == null ? 0 : usage.admittedByMonth().getOrDefault(month.toString(), 0L);
        return new QuotaStatus(requestsPerMonth, month.toString(), used, Math.max(0, requestsPerMonth - used),
                month.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC));
    }
}
