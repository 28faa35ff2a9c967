package io.latchkey.support.store;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the process that serves the embedded store once H2 has closed the store, as it does after a failed write (a
 * full disk). Until the file is opened again every write fails, and every read through the store too, so the process
 * could only answer errors; it exits with {@value #STATUS} (EX_TEMPFAIL) for its supervisor to start it again, which
 * opens the file with every acknowledged change in it (each was on disk before its answer).
 */
final class ClosedStoreExit implements AutoCloseable {

    static final int STATUS = 75;
    private static final Duration HALT_AFTER = Duration.ofSeconds(60);
    private static final Logger log = LoggerFactory.getLogger(ClosedStoreExit.class);

    private final ScheduledExecutorService checks = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "latchkey-store-watch");
        thread.setDaemon(true);
        return thread;
    });
    private volatile boolean closing;

    ClosedStoreExit(EmbeddedMongoServer served, Duration every, Runnable exit) {
        checks.scheduleWithFixedDelay(() -> {
            // Closed as the process stops (this closes before the store does), the store is no failure.
            if (!closing && !served.isOpen()) {
                log.error("The embedded store {} was closed after a write to its file failed ({}); this process"
                        + " exits with status {} to be started again, which opens the file again", served.fileName(),
                        served.closedBecause(), STATUS);
                checks.shutdown();
                // On a thread of its own: the exit closes the application, this among it, and must not be the
                // thread that close would wait for.
                Thread exiting = new Thread(exit, "latchkey-store-exit");
                exiting.start();
                haltIfStuck(exiting);
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** An exit whose orderly close hangs (on the store it is leaving, say) still ends the process. */
    private static void haltIfStuck(Thread exiting) {
        Thread halt = new Thread(() -> {
            try {
                exiting.join(HALT_AFTER.toMillis());
                if (exiting.isAlive()) {
                    log.error("The orderly exit did not end within {}; halting", HALT_AFTER);
                    Runtime.getRuntime().halt(STATUS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "latchkey-store-exit-halt");
        halt.setDaemon(true);
        halt.start();
    }

    @Override
    public void close() {
        closing = true;
        checks.shutdown();
    }
}
