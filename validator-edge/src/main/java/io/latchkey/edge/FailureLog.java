package io.latchkey.edge;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Failures of calls to another service, told in the log: each reason the first time in a run of failures, then once a
 * minute while it recurs, so that a wrong URL or token, or a service down, is told without a line per call, also when
 * two reasons alternate (unreachable, a proxy's 502); and once, when a call gets through again, how many failed.
 * Thread-safe: a call that gets through while none failed reads one volatile field.
 */
final class FailureLog {

    private static final long QUIET_MILLIS = 60_000;

    private final Logger log;
    private final LongSupplier millis;
    /** When each reason of the run was last logged: a handful of reasons. */
    private final Map<String, Long> loggedAt = new HashMap<>();
    private volatile long failed;
    private String failingReason;
    private long failingSince;
    private long lastFailed;

    FailureLog(Logger log, LongSupplier millis) {
        this.log = log;
        this.millis = millis;
    }

    /** Counts a failed call, and logs {@code message} at WARN unless its reason was logged less than a minute ago. */
    synchronized void failed(String reason, String message, Object... arguments) {
        long now = millis.getAsLong();
        if (failed == 0) {
            failingSince = now;
        }
        failed++;
        failingReason = reason;
        lastFailed = now;
        Long logged = loggedAt.get(reason);
        if (logged == null || now - logged >= QUIET_MILLIS) {
            loggedAt.put(reason, now);
            log.warn(message, arguments);
        }
    }

    /**
     * Ends a run of failures, if any, logging {@code message} at INFO with {@code subject} and the number of calls that
     * failed as its two arguments.
     */
    void gotThrough(String message, Object subject) {
        if (failed == 0) {
            return;
        }
        synchronized (this) {
            if (failed > 0) {
                log.info(message, subject, failed);
                failed = 0;
                loggedAt.clear();
            }
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
