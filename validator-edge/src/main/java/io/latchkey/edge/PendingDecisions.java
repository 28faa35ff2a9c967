package io.latchkey.edge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The decisions one thread counted that are not yet in the counters, at most {@value #CAPACITY}. The thread adds
 * them without a lock, and wakes the folding thread when {@value #WAKE_AT} are waiting; they are folded by that thread,
 * by the reporting thread when a report is taken, or, should the buffer fill first, by the thread itself, under this
 * object's lock. A fold goes {@value #CHUNK} decisions at a time: it first loads their counters in one tight loop, by
 * the table hash each decision was added with, and only then counts, so that the cache misses of the chunk overlap:
 * one at a time, a counter that is not in the cache cost the decision the whole miss (docs/benchmarks.md, "Usage
 * counting").
 */
final class PendingDecisions {

    static final int CAPACITY = 512;
    /** Decisions waiting when the owner wakes the folding thread: half the buffer, so that it seldom fills. */
    static final int WAKE_AT = CAPACITY / 2;
    /** Decisions whose counters a fold loads before it counts them: enough misses to overlap, all in the L1 cache. */
    static final int CHUNK = 64;
    /** Ordered access to {@link #progress}. */
    private static final VarHandle PROGRESS = MethodHandles.arrayElementVarHandle(long[].class);
    /**
     * Decisions added, ever: written by the owner only, with release (a plain store on x86, where a volatile one
     * would be a fence on every decision).
     */
    private static final int WRITTEN = 16;
    /** Decisions folded, ever: written under the lock, with release, after the slots were read. */
    private static final int FOLDED = 17;
    /** What the touches loaded, which keeps them from being optimised away. */
    private static final int TOUCHED = 18;

    /** What folding does: first touch the counters of a chunk, then count each decision; and who else folds. */
    interface Folder {
        /** Loads what counting decisions of the hashes from {@code from} (inclusive) to {@code to} will read. */
        long touch(int[] hashes, int from, int to);

        void count(long msb, long lsb, Object endpoint, int hash, int outcome, long time);

        /** Asks the folding thread to fold; called by an owner with {@value #WAKE_AT} decisions waiting. */
        void wake();
    }

    private final Thread owner = Thread.currentThread();
    /** The owner's copy of the strings it counts by. */
    final Latin1Text text = new Latin1Text();
    private final long[] msbs = new long[CAPACITY];
    private final long[] lsbs = new long[CAPACITY];
    private final long[] times = new long[CAPACITY];
    private final Object[] endpoints = new Object[CAPACITY];
    private final int[] outcomes = new int[CAPACITY];
    private final int[] hashes = new int[CAPACITY];
    /**
     * {@link #WRITTEN}, {@link #FOLDED} and {@link #TOUCHED}, with 128 bytes free on either side: the owner writes
     * them on every decision, and another thread's objects, which a collection may copy next to these, must not share
     * their cache lines (see {@link Latin1Text}).
     */
    private final long[] progress = new long[TOUCHED + 1 + 16];

    /** Adds a decision; by the owning thread only. */
    void add(long msb, long lsb, Object endpoint, int hash, int outcome, long time, Folder folder) {
        long at = progress[WRITTEN];
        long waiting = at - (long) PROGRESS.getAcquire(progress, FOLDED);
        if (waiting == WAKE_AT) {
            folder.wake();
        } else if (waiting == CAPACITY) {
            fold(folder);
        }
        int slot = (int) at & (CAPACITY - 1);
        msbs[slot] = msb;
        lsbs[slot] = lsb;
        endpoints[slot] = endpoint;
        outcomes[slot] = outcome;
        hashes[slot] = hash;
        times[slot] = time;
        PROGRESS.setRelease(progress, WRITTEN, at + 1);
    }

    /** Folds every decision added so far; by any thread. */
    synchronized void fold(Folder folder) {
        long from = progress[FOLDED];
        long to = (long) PROGRESS.getAcquire(progress, WRITTEN);
        if (from == to) {
            return;
        }
        for (long n = from; n < to; ) {
            int first = (int) n & (CAPACITY - 1);
            int end = (int) Math.min(first + Math.min(CHUNK, to - n), CAPACITY);
            progress[TOUCHED] += folder.touch(hashes, first, end);
            for (int slot = first; slot < end; slot++, n++) {
                folder.count(msbs[slot], lsbs[slot], endpoints[slot], hashes[slot], outcomes[slot], times[slot]);
                // One at a time, so that a fold that fails part-way (out of memory) never counts a decision twice.
                // The owner overwrites a slot only once it sees it folded.
                PROGRESS.setRelease(progress, FOLDED, n + 1);
            }
        }
    }

    /** Whether the owning thread is gone and left nothing to fold. */
    boolean abandoned() {
        return !owner.isAlive()
                && (long) PROGRESS.getAcquire(progress, WRITTEN) == (long) PROGRESS.getAcquire(progress, FOLDED);
    }
}
