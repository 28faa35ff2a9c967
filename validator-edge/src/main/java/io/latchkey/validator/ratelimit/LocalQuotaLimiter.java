package io.latchkey.validator.ratelimit;

import io.latchkey.validator.QuotaLimiter;
import io.latchkey.validator.QuotaState;
import java.time.Instant;
import java.time.YearMonth;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Monthly quotas counted in this process only: exact for a service that validates on one instance, without Redis
 * (the counterpart of {@link LocalRateLimiter}); validators that share a key's traffic need {@code RedisQuotaLimiter},
 * which keeps its own count while Redis is away. A key's count starts again at the first request of a new month; the
 * first request of a month drops the counts of the months before the last one, off the caller's thread
 * ({@link MonthSweep}).
 */
public final class LocalQuotaLimiter implements QuotaLimiter {

    private final Map<String, MonthCount> counts = new ConcurrentHashMap<>();
    private final MonthSweep sweep = new MonthSweep();

    private LocalQuotaLimiter() {
    }

    public static LocalQuotaLimiter create() {
        return new LocalQuotaLimiter();
    }

    /** Keys counted; for tests. */
    int keys() {
        return counts.size();
    }

    @Override
    public QuotaState consume(String keyId, long requestsPerMonth, Instant now) {
        YearMonth month = QuotaState.month(now);
        sweep.reached(month, before -> counts.values().removeIf(count -> count.month.isBefore(before)));
        // A late request of an earlier month counts against the newer month rather than starting that one again.
        MonthCount count = counts.compute(keyId,
                (id, current) -> current != null && !current.month.isBefore(month) ? current : new MonthCount(month));
        long used = count.takeBelow(requestsPerMonth);
        return QuotaState.at(now, used > 0, requestsPerMonth, Math.abs(used));
    }

    @Override
    public QuotaState usedUp(String keyId, long requestsPerMonth, Instant now) {
        MonthCount count = counts.get(keyId);
        long used = count == null ? 0 : count.used.get();
        // A count of a later month is the one a late request counts against, as in consume. The month is checked last,
        // as it costs the most.
        return count != null && used >= requestsPerMonth && !count.month.isBefore(QuotaState.month(now))
                ? QuotaState.at(now, false, requestsPerMonth, used) : null;
    }

    private static final class MonthCount {
        final YearMonth month;
        final AtomicLong used = new AtomicLong();

        MonthCount(YearMonth month) {
            this.month = month;
        }

        /** The count after taking one, or minus the count when the quota is used up (never 0: quotas are ≥ 1). */
        long takeBelow(long quota) {
            while (true) {
                long current = used.get();
                if (current >= quota) {
                    return -current;
                }
                if (used.compareAndSet(current, current + 1)) {
                    return current + 1;
                }
            }
        }
    }
}
