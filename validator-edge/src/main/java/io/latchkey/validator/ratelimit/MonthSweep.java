package io.latchkey.validator.ratelimit;

import java.time.YearMonth;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Consumer;

/**
 * Drops a quota limiter's counts of months that are long over, once a month, when the first request of a later month
 * comes, off that request's thread: a key counted once would otherwise be held for good. Used by this library's
 * limiters.
 */
public final class MonthSweep {

    private volatile YearMonth newest;

    /**
     * Notes a request of {@code month}; when it is later than any before, {@code dropBefore} is run in the background
     * with the month before it, to drop what was counted in months before that: the month just ended is kept, so
     * that a clock stepped into the next month and back again drops nothing still counting. The first month seen
     * drops nothing.
     */
    public void reached(YearMonth month, Consumer<YearMonth> dropBefore) {
        YearMonth seen = newest;
        if (seen != null && !month.isAfter(seen)) {
            return;
        }
        synchronized (this) {
            if (newest != null && !month.isAfter(newest)) {
                return;
            }
            boolean later = newest != null;
            newest = month;
            if (!later) {
                return;
            }
        }
        ForkJoinPool.commonPool().execute(() -> dropBefore.accept(month.minusMonths(1)));
    }
}
