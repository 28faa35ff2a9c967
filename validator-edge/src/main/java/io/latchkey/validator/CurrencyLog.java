package io.latchkey.validator;

import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the log when a validator's replica becomes current, stops being current, and is current again: while it is
 * not, its callers refuse keys or ask elsewhere, and without a line an operator sees only 503s. A replica that flaps
 * at its lag bound would log a pair of lines per flap, so a departure is logged at most once a minute, its return only
 * when its departure was, and the departures left out are counted in the next one's line. Callers pass what they
 * found; a call that finds what the last one did reads one volatile field.
 */
final class CurrencyLog {

    private static final Logger log = LoggerFactory.getLogger(KeyValidator.class);
    private static final long QUIET_MILLIS = 60_000;

    private final LongSupplier millis;
    private final long openedAt;
    private volatile boolean current;
    private boolean wasEverCurrent;
    private long leftAt;
    private long departureLoggedAt = Long.MIN_VALUE;
    private boolean departureLogged;
    private int departuresUnlogged;

    CurrencyLog(LongSupplier millis) {
        this.millis = millis;
        this.openedAt = millis.getAsLong();
    }

    /**
     * What a caller found: whether the replica is current, and, read only when it has just stopped being current, why
     * not; {@code state} says how full and how far behind it is, read only for the lines that tell it.
     */
    void found(boolean isCurrent, Supplier<String> whyNot, Supplier<String> state) {
        if (isCurrent == current) {
            return;
        }
        synchronized (this) {
            if (isCurrent == current) {
                return;
            }
            current = isCurrent;
            long now = millis.getAsLong();
            if (isCurrent && !wasEverCurrent) {
                wasEverCurrent = true;
                log.info("The key replica is current {} s after it was opened ({}): keys are decided from it",
                        seconds(now - openedAt), state.get());
            } else if (isCurrent) {
                if (departureLogged) {
                    log.info("The key replica is current again after {} s ({})", seconds(now - leftAt), state.get());
                }
            } else {
                leftAt = now;
                departureLogged = departureLoggedAt == Long.MIN_VALUE || now - departureLoggedAt >= QUIET_MILLIS;
                if (departureLogged) {
                    departureLoggedAt = now;
                    log.warn("The key replica is not current: {}. Keys are not decided from it until it is (an edge "
                            + "asks its query-side fallback where one is set, and answers 503 otherwise){}",
                            whyNot.get(), departuresUnlogged == 0 ? ""
                                    : "; it stopped being current " + departuresUnlogged + " more times since this "
                                            + "was last logged");
                    departuresUnlogged = 0;
                } else {
                    departuresUnlogged++;
                }
            }
        }
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f", millis / 1000.0);
    }
}
