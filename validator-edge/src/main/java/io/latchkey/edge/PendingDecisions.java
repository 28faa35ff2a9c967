package io.latchkey.edge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The decisions one thread counted that are not yet in the counters, at most {@value #CAPACITY}. The thread adds
 * them without a lock; they are folded in a batch when they fill the buffer, by that thread, or when a report is
 * taken, by the reporting thread, under this object's lock. A fold first loads the counters of every slot in one
 * tight loop, by the table hash each decision was added with, and only then counts, so that the cache misses of the
 * whole batch overlap: one at a time, a counter that is not in the cache cost the decision the whole miss
 * (docs/benchmarks.md, "Usage counting").
 */
final class PendingDecisions {

    static final int CAPACITY = 64;
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

    /** What folding does: first touch the counters of the whole batch, then count each decision. */
    interface Folder {
        /**
         * Loads what counting decisions of these hashes will read, the batch's slots all (those not in the batch
         * too: a wasted load costs less than a loop that tells them apart).
         */
        long touch(int[] hashes);

        void count(long msb, long lsb, Object endpoint, int hash, int outcome, long time);
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
        if (at - (long) PROGRESS.getAcquire(progress, FOLDED) == CAPACITY) {
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
        progress[TOUCHED] += folder.touch(hashes);
        for (long n = from; n < to; n++) {
            int slot = (int) n & (CAPACITY - 1);
            folder.count(msbs[slot], lsbs[slot], endpoints[slot], hashes[slot], outcomes[slot], times[slot]);
            // One at a time, so that a fold that fails part-way (out of memory) never counts a decision twice. The
            // owner overwrites a slot only once it sees it folded.
            PROGRESS.setRelease(progress, FOLDED, n + 1);
        }
    }

    /** Whether the owning thread is gone and left nothing to fold. */
    boolean abandoned() {
        return !owner.isAlive()
                && (long) PROGRESS.getAcquire(progress, WRITTEN) == (long) PROGRESS.getAcquire(progress, FOLDED);
    }
}
