package io.latchkey.validator;

import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the log when a validator's replica becomes current, stops being current, and is current again: while it is
 * not, its callers refuse keys or ask elsewhere, and without a line an operator sees only 503s. A replica that flaps
 * at its lag bound would log a pair of lines per flap, so a departure is logged at most once a minute and its return
 * only when its departure was; a departure held back is logged once the minute is over if the replica is still not
 * current then, with the departures left out counted. A replica not current {@value #GRACE_MILLIS} ms after it was
 * opened is logged as such a departure.
 *
 * <p>Callers pass what they found; a call that finds what the last one did reads one volatile field while the replica
 * is current, and three and the clock while a departure waits for its line. A change is checked again under the
 * lock, since a caller may report what it found before another caller's newer finding: the state and its reason are
 * read there, once.
 */
final class CurrencyLog {

    private static final Logger log = LoggerFactory.getLogger(KeyValidator.class);
    private static final long QUIET_MILLIS = 60_000;
    /** A validator's start is not a departure until then: a replica fills in seconds. */
    static final long GRACE_MILLIS = 30_000;

    private final LongSupplier millis;
    private final Supplier<String> reason;
    private final Supplier<String> state;
    private final long openedAt;
    private volatile boolean current;
    /** True while a departure (or the start) waits for its line: read without the lock while not current. */
    private volatile boolean pending = true;
    private boolean wasEverCurrent;
    private long leftAt;
    /** Read without the lock while a departure waits for its line. */
    private volatile long departureLoggedAt;
    private boolean departureLogged;
    private int departuresUnlogged;

    /**
     * @param reason why the replica is not current now, null while it is: asked under the lock at a change only
     * @param state  how full and how far behind it is, for the lines that tell it
     */
    CurrencyLog(LongSupplier millis, Supplier<String> reason, Supplier<String> state) {
        this.millis = millis;
        this.reason = reason;
        this.state = state;
        this.openedAt = millis.getAsLong();
        this.leftAt = openedAt;
        // The start counts as a departure logged a minute before the grace ends: its line comes once the grace is over.
        this.departureLoggedAt = openedAt + GRACE_MILLIS - QUIET_MILLIS;
    }

    /** What a caller found: whether the replica is current. */
    void found(boolean isCurrent) {
        if (isCurrent == current) {
            if (!isCurrent && pending && quietOver(millis.getAsLong())) {
                tellPending();
            }
            return;
        }
        synchronized (this) {
            if (isCurrent == current) {
                // Another caller made the change meanwhile.
                return;
            }
            String why = reason.get();
            boolean now = why == null;
            if (now == current) {
                return;
            }
            current = now;
            long at = millis.getAsLong();
            if (now) {
                pending = false;
                if (!wasEverCurrent) {
                    wasEverCurrent = true;
                    if (!departureLogged) {
                        // A start told of nothing: the first departure is told at once.
                        departureLoggedAt = at - QUIET_MILLIS;
                    }
                    log.info("The key replica is current {} s after it was opened ({}): keys are decided from it",
                            seconds(at - openedAt), state.get());
                } else if (departureLogged) {
                    log.info("The key replica is current again after {} s ({})", seconds(at - leftAt), state.get());
                }
                departureLogged = false;
            } else {
                leftAt = at;
                departureLogged = false;
                if (quietOver(at)) {
                    told(at);
                    log.warn("The key replica is not current: {}. Keys are not decided from it until it is{}",
                            why, departuresUnlogged == 0 ? "" : "; it stopped being current "
                                    + departuresUnlogged + " more times since this was last logged");
                    departuresUnlogged = 0;
                } else {
                    pending = true;
                    departuresUnlogged++;
                }
            }
        }
    }

    /** Logs a departure held back (or the start), once its minute is over, if the replica is still not current. */
    private synchronized void tellPending() {
        long at = millis.getAsLong();
        if (!pending || current || !quietOver(at)) {
            return;
        }
        String why = reason.get();
        if (why == null) {
            return;
        }
        told(at);
        if (wasEverCurrent) {
            log.warn("The key replica has not been current for {} s: {}. Keys are not decided from it until it is; "
                    + "it stopped being current {} times since this was last logged", seconds(at - leftAt), why,
                    departuresUnlogged);
        } else {
            log.warn("The key replica has not been current since it was opened {} s ago: {}. Keys are not decided "
                    + "from it until it is", seconds(at - openedAt), why);
        }
        departuresUnlogged = 0;
    }

    /** Whether a minute has passed since the last departure was told; a clock set back ends the minute too. */
    private boolean quietOver(long at) {
        long since = at - departureLoggedAt;
        return since < 0 || since >= QUIET_MILLIS;
    }

    private void told(long at) {
        departureLoggedAt = at;
        departureLogged = true;
        pending = false;
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f", millis / 1000.0);
    }
}
