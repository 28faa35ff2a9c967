package io.latchkey.validator;

import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;

/**
 * Where a key stands against its monthly quota after one decision.
 *
 * @param allowed          whether this request was counted against the quota
 * @param requestsPerMonth the quota
 * @param used             admitted requests this calendar month (UTC), this one included when allowed
 * @param resetsAt         the start of the next month, when the count starts again
 * @param resetSeconds     seconds from the decision until {@code resetsAt}, at least 1
 */
public record QuotaState(boolean allowed, long requestsPerMonth, long used, Instant resetsAt, long resetSeconds) {

    /** The state at {@code now}, which fixes the month and the time to its end. */
    public static QuotaState at(Instant now, boolean allowed, long requestsPerMonth, long used) {
        Instant resetsAt = resetsAt(month(now));
        // Rounded up: a client that waits the seconds given must find the new month.
        long millis = Duration.between(now, resetsAt).toMillis();
        return new QuotaState(allowed, requestsPerMonth, used, resetsAt, Math.max(1, (millis + 999) / 1000));
    }

    /** When the count of {@code month} starts again: the first instant of the next month (UTC). */
    public static Instant resetsAt(YearMonth month) {
        return month.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    }

    /** The calendar month (UTC) a request at {@code now} counts in. */
    public static YearMonth month(Instant now) {
        return YearMonth.from(now.atZone(ZoneOffset.UTC));
    }

    public long remaining() {
        return Math.max(0, requestsPerMonth - used);
    }
}
