package io.latchkey.support.store;

/**
 * How the processes that read one event store learn that another has appended to it, sooner than by their next
 * poll. A hint that may be lost: every reader still polls, every {@code latchkey.store.fetch-delay}.
 */
public interface AppendSignal {

    /** Tells the other readers that this process has appended events; returns at once, on the appending thread. */
    void appended();

    /** Runs {@code wake} each time another process says it has appended events, on a thread it must not block. */
    void onAppended(Runnable wake);
}
