package io.latchkey.query.rest;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;

/**
 * A key's monthly quota as key detail shows it: the calendar month (UTC) it counts, and when it starts again.
 */
record QuotaStatus(long requestsPerMonth, String period, Instant resetsAt) {

    static QuotaStatus of(Long requestsPerMonth, Instant now) {
        if (requestsPerMonth == null) {
            return null;
        }
        YearMonth month = YearMonth.from(now.atZone(ZoneOffset.UTC));
        return new QuotaStatus(requestsPerMonth, month.toString(),
                month.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC));
    }
}
