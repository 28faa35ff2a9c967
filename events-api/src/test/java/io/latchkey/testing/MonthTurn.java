package io.latchkey.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;

/** For tests of monthly counts against a service's system clock, which a month's end must not cut in two. */
public final class MonthTurn {

    private MonthTurn() {
    }

    /** Returns at once, or, within a minute of the end of the month (UTC), once the next month has begun. */
    public static void awaitClearOfMonthEnd() throws InterruptedException {
        Duration left = Duration.between(Instant.now(), nextMonth());
        if (left.compareTo(Duration.ofMinutes(1)) < 0) {
            Thread.sleep(left.plusSeconds(1).toMillis());
        }
    }

    /** The first instant of the next month (UTC). */
    public static Instant nextMonth() {
        return YearMonth.now(ZoneOffset.UTC).plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    }
}
