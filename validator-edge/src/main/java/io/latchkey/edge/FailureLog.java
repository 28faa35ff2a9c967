package io.latchkey.edge;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Failures of calls to another service, told in the log: each reason at its first failure, then at most once a minute
 * while it recurs (across runs of failures: calls that fail and get through in turn would otherwise log a pair of
 * lines per turn), with the failures left out counted; and, when calls get through again after a run whose failure was
 * logged, how many failed. Thread-safe: a call that gets through while none failed reads one volatile field.
 */
final class FailureLog {

    private static final long QUIET_MILLIS = 60_000;

    private final Logger log;
    private final LongSupplier millis;
    /** When each reason was last logged: a handful of reasons. */
    private final Map<String, Long> loggedAt = new HashMap<>();
    /** Calls failed in the run under way: none while calls get through. */
    private volatile long failed;
    private String failingReason;
    private long failingSince;
    private long lastFailed;
    /** Whether a failure of the run under way was logged, and the failures not logged since the last that was. */
    private boolean runLogged;
    private long unlogged;

    FailureLog(Logger log, LongSupplier millis) {
        this.log = log;
        this.millis = millis;
    }

    /** Counts a failed call, and logs {@code message} at WARN unless its reason was logged less than a minute ago. */
    synchronized void failed(String reason, String message, Object... arguments) {
        long now = millis.getAsLong();
        // After a quiet minute (no call at all: the other service may have come back unasked) a failure begins a run
        // of its own, or the health would say calls fail since a run long over (an edge asks its fallback only while
        // its replica is not current).
        if (failed > 0 && now - lastFailed >= QUIET_MILLIS) {
            failed = 0;
            runLogged = false;
        }
        if (failed == 0) {
            failingSince = now;
        }
        failed++;
        failingReason = reason;
        lastFailed = now;
        Long logged = loggedAt.get(reason);
        // A clock set back ends the quiet minute too.
        if (logged != null && now - logged >= 0 && now - logged < QUIET_MILLIS) {
            unlogged++;
            return;
        }
        loggedAt.put(reason, now);
        runLogged = true;
        if (unlogged == 0) {
            log.warn(message, arguments);
        } else {
            Object[] withCount = Arrays.copyOf(arguments, arguments.length + 1);
            withCount[arguments.length] = unlogged;
            log.warn(message + " ({} more calls failed since the last such line)", withCount);
            unlogged = 0;
        }
    }

    /**
     * Ends a run of failures, if any, logging {@code message} at INFO, with {@code subject} and the number of calls
     * that failed as its two arguments, when a failure of the run was logged.
     */
    void gotThrough(String message, Object subject) {
        if (failed == 0) {
            return;
        }
        synchronized (this) {
            if (failed > 0 && runLogged) {
                log.info(message, subject, failed);
            }
            failed = 0;
            runLogged = false;
        }
    }

    /** The reason of the latest failure and since when calls fail, or null while they get through. */
    synchronized Failing failing() {
        return failed == 0 ? null : new Failing(failingReason, failingSince, lastFailed, failed);
    }

    /** A run of failed calls: the latest one's reason, the first one's and the latest one's time, and how many. */
    record Failing(String reason, long sinceMillis, long lastMillis, long calls) {
    }

    /** The exception and the first message in its causes: the HTTP client's own often has none. */
    static String cause(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && !cause.getMessage().isBlank()) {
                return e.getClass().getSimpleName() + ": " + cause.getMessage();
            }
        }
        return e.getClass().getSimpleName();
    }
}
