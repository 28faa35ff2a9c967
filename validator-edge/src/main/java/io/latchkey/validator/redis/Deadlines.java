package io.latchkey.validator.redis;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fails the calls of one {@link RedisLink} that outlive its budget, as {@link CompletableFuture#orTimeout} would, but
 * cheaper under load. Every call has the same budget, so deadlines fall due in the order the calls were sent: one
 * thread sleeping until the oldest is due serves them all. {@code orTimeout} puts each call in a shared scheduler's
 * queue and, whenever the call becomes its head (most calls, when replies come in well under the budget), signals that
 * scheduler's thread; profiled at 5,000 exact-mode checks a second this was about a twelfth of the edge's CPU. Here a
 * call only wakes the thread after a second with none.
 */
final class Deadlines implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Deadlines.class);
    private static final long IDLE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final long budgetNanos;
    private final long idleAfterNanos;
    private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
    private final Thread sweeper;
    private volatile boolean idle;
    private volatile boolean closed;

    private record Call(CompletableFuture<?> future, long due) {
    }

    Deadlines(long budgetNanos, String name) {
        this(budgetNanos, IDLE_AFTER_NANOS, name);
    }

    Deadlines(long budgetNanos, long idleAfterNanos, String name) {
        this.budgetNanos = budgetNanos;
        this.idleAfterNanos = idleAfterNanos;
        this.sweeper = new Thread(this::sweep, name);
        sweeper.setDaemon(true);
        sweeper.start();
    }

    /** {@code future}, failed with a {@link TimeoutException} unless complete within the budget. */
    <T> CompletableFuture<T> within(CompletableFuture<T> future) {
        if (closed) {
            future.completeExceptionally(new TimeoutException("closed"));
            return future;
        }
        calls.add(new Call(future, System.nanoTime() + budgetNanos));
        if (idle) {
            LockSupport.unpark(sweeper);
        }
        return future;
    }

    private void sweep() {
        long lastCall = System.nanoTime();
        while (!closed) {
            try {
                lastCall = sweepOnce(lastCall);
            } catch (Throwable e) {
                // Whatever ran on this thread (the calls' continuations) must not end it: calls would never time out.
                log.error("Deadline thread {} caught an error and goes on", sweeper.getName(), e);
                LockSupport.parkNanos(this, budgetNanos);
            }
        }
    }

    /** Fails or drops the oldest call, or waits for it; when the last call was seen. */
    private long sweepOnce(long lastCall) {
        // A continuation that left the thread interrupted would make every park return at once.
        Thread.interrupted();
        Call oldest = calls.peek();
        long now = System.nanoTime();
        if (oldest == null) {
            if (now - lastCall < idleAfterNanos) {
                // A call added meanwhile is due about a budget from now: this wake-up is in time for it.
                LockSupport.parkNanos(this, budgetNanos);
            } else {
                idle = true;
                if (calls.isEmpty() && !closed) {
                    LockSupport.park(this);
                }
                idle = false;
            }
            return lastCall;
        }
        if (oldest.future.isDone()) {
            calls.poll();
        } else if (oldest.due - now > 0) {
            LockSupport.parkNanos(this, oldest.due - now);
        } else {
            calls.poll();
            oldest.future.completeExceptionally(new TimeoutException());
        }
        return now;
    }

    /** The thread, for tests. */
    Thread sweeper() {
        return sweeper;
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(sweeper);
    }
}
