package io.latchkey.edge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * One minute's counters of keys at numbered endpoints, flat in {@code long} arrays so that counting a decision reads
 * and writes one entry of eight longs: the key's 128 bits, its endpoint's number with the time of the last decision,
 * then {@value #OUTCOMES} outcome counters, two to a long.
 *
 * <p>Readers find an entry without a lock, from its hash for at most {@value #MAX_PROBES} entries; adds take the
 * table's lock. Counts cannot move while decisions add to them, so when an array is half full (or an entry lies too
 * far from its home in one at least an eighth full) the table begins one twice as large holding the same entries
 * with no counts, and decisions count there from then on; the older arrays keep what was counted in them (a decision
 * that found its entry there just before may still add to it), and a report adds an entry's counts across them. An
 * entry that fits in no array is not added: its caller counts it elsewhere.
 *
 * <p>Beside its entries each array keeps their counts as last acknowledged by a report, so that the next report
 * reads only the entries that moved since, without building anything for the others.
 */
final class UsageTable {

    static final int OUTCOMES = 10;
    /** An array of 128 MiB, for a million (key, endpoint) pairs at half load. */
    static final int MAX_CAPACITY = 1 << 21;
    /**
     * Far more than a run at half load needs, so that bad luck seldom makes an array grow; keys cannot be chosen to
     * collide, since the key ids are random and the endpoints' numbers are given out here.
     */
    private static final int MAX_PROBES = 64;
    private static final int LONGS = 8;
    /**
     * Entries begin 64 bytes into the array object (past a 16-byte header), so that each is one cache line when the
     * array starts on a line, as G1 places arrays of half a region or more (the large ones, where it matters); in
     * smaller arrays, or under another collector, an entry may span two adjacent lines.
     */
    private static final int PAD = 6;
    private static final int MSB = 0;
    private static final int LSB = 1;
    /** The endpoint's number (never 0) in the low half; the last decision's millisecond in the minute in the high. */
    private static final int META = 2;
    private static final int COUNTS = 3;
    /** Longs of counts in an entry. */
    private static final int PAIRS = OUTCOMES / 2;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle OFFSET = MethodHandles.arrayElementVarHandle(int[].class);

    /**
     * One array of entries, with where its entries are, in the order they were placed, so that a report reads only
     * those; {@code placed} is written after the offset it counts. {@code acknowledged} holds, in that order, each
     * entry's counts as of the last report acknowledged, packed as the counts are; only the reporting thread uses it.
     */
    private static final class Entries {
        final long[] slots;
        final int[] offsets;
        final long[] acknowledged;
        volatile int placed;

        Entries(int capacity) {
            slots = new long[PAD + capacity * LONGS];
            offsets = new int[capacity / 2];
            acknowledged = new long[capacity / 2 * PAIRS];
        }

        int capacity() {
            return (slots.length - PAD) / LONGS;
        }
    }

    private final int maxCapacity;
    /** Every array begun, the latest last; guarded by this for writes. */
    private volatile Entries[] arrays;
    /** Where decisions find their entries: the latest array. */
    private volatile Entries latest;

    /**
     * A table for about {@code expected} entries: they fill a quarter to a half of its first array, so that a minute
     * as busy as the last one fits before the array's half, and one busier may make it grow.
     */
    UsageTable(int expected) {
        this(expected, MAX_CAPACITY);
    }

    /** A table whose arrays hold at most {@code maxCapacity} entries, a power of two of at least 1,024. */
    UsageTable(int expected, int maxCapacity) {
        this.maxCapacity = maxCapacity;
        int wanted = Integer.highestOneBit(Math.max(1, 2 * expected - 1)) << 1;
        latest = new Entries(Math.min(maxCapacity, Math.max(1024, wanted)));
        arrays = new Entries[] {latest};
    }

    /**
     * What a report reads of an entry in one array: its gains by outcome since the counts last acknowledged (lent for
     * the call only), the last use, and how to acknowledge the counts read.
     */
    @FunctionalInterface
    interface Visitor {
        void visit(long msb, long lsb, int endpoint, int lastUsedMillis, long[] gains, Read read);
    }

    /** The counts a report read of one entry in one array. */
    static final class Read {
        private final Entries entries;
        private final int index;
        private final long[] counts;

        private Read(Entries entries, int index, long[] counts) {
            this.entries = entries;
            this.index = index;
            this.counts = counts;
        }

        /** Makes the counts read the entry's acknowledged ones; by the reporting thread. */
        void acknowledge() {
            System.arraycopy(counts, 0, entries.acknowledged, index * PAIRS, PAIRS);
        }
    }

    /**
     * Counts one decision with outcome {@code outcome} (below {@value #OUTCOMES}) at {@code millis} into the minute,
     * which is set as the entry's last use before the count; false when the entry is not in the table.
     */
    boolean count(long msb, long lsb, int endpoint, int outcome, int millis) {
        assert outcome >= 0 && outcome < OUTCOMES && endpoint != 0;
        long[] slots = latest.slots;
        int at = find(slots, hash(msb, lsb, endpoint), msb, lsb, endpoint);
        if (at < 0) {
            return false;
        }
        long meta = (long) SLOT.getAcquire(slots, at + META);
        // Only a later time replaces the one held, however the threads that carry them interleave.
        long last = (long) millis << 32 | endpoint & 0xffff_ffffL;
        while (millis > (int) (meta >>> 32) && !SLOT.weakCompareAndSetRelease(slots, at + META, meta, last)) {
            meta = (long) SLOT.getAcquire(slots, at + META);
        }
        // The low half would carry into the high one after 2^32 decisions in a minute: 70 million a second.
        SLOT.getAndAdd(slots, at + COUNTS + (outcome >>> 1), 1L << ((outcome & 1) << 5));
        return true;
    }

    /**
     * Loads the first line that {@link #count} would read for this entry, so that a batch of decisions can have their
     * misses overlap before counting; returns what it loaded, for the caller to keep the load from being elided.
     */
    long touch(long msb, long lsb, int endpoint) {
        long[] slots = latest.slots;
        int mask = (slots.length - PAD) / LONGS - 1;
        return slots[PAD + (hash(msb, lsb, endpoint) & mask) * LONGS + META];
    }

    /** Adds the entry unless it is there; false when it fits nowhere. */
    synchronized boolean add(long msb, long lsb, int endpoint) {
        assert endpoint != 0;
        int hash = hash(msb, lsb, endpoint);
        Entries entries = latest;
        if (find(entries.slots, hash, msb, lsb, endpoint) >= 0) {
            return true;
        }
        if (2 * (entries.placed + 1) > entries.capacity()) {
            if (entries.capacity() == maxCapacity) {
                return false;
            }
            entries = begun(entries);
        }
        if (place(entries, hash, msb, lsb, endpoint)) {
            return true;
        }
        // A long run in an array that is not nearly empty is bad luck, which more room cures; in a nearly empty one
        // it is collisions, which it would not.
        return 8 * entries.placed >= entries.capacity() && entries.capacity() < maxCapacity
                && place(begun(entries), hash, msb, lsb, endpoint);
    }

    /**
     * A new latest array, twice as large, with the entries of {@code full} and none of their counts. One that no longer
     * lies within {@value #MAX_PROBES} of its home is left out, and its decisions are counted elsewhere from then on.
     */
    private Entries begun(Entries full) {
        Entries entries = new Entries(full.capacity() * 2);
        for (int i = 0; i < full.placed; i++) {
            int at = full.offsets[i];
            int endpoint = (int) (long) SLOT.getAcquire(full.slots, at + META);
            long msb = full.slots[at + MSB];
            long lsb = full.slots[at + LSB];
            place(entries, hash(msb, lsb, endpoint), msb, lsb, endpoint);
        }
        Entries[] begun = Arrays.copyOf(arrays, arrays.length + 1);
        begun[arrays.length] = entries;
        // Published with every entry in it; decisions that found theirs in the full array a moment ago may still
        // count there, which a report reads too.
        arrays = begun;
        latest = entries;
        return entries;
    }

    /**
     * Every entry of every array (an entry may come once for each) whose counts moved since those last acknowledged,
     * its counts read before its last use, so that a count seen has its time; by the reporting thread. Entries that did
     * not move cost a comparison, and nothing is made for them.
     */
    void forEachUnacknowledged(Visitor visitor) {
        long[] counts = new long[PAIRS];
        long[] gains = new long[OUTCOMES];
        for (Entries entries : arrays) {
            long[] slots = entries.slots;
            for (int i = 0, placed = entries.placed; i < placed; i++) {
                int at = (int) OFFSET.getAcquire(entries.offsets, i);
                boolean moved = false;
                for (int pair = 0; pair < PAIRS; pair++) {
                    counts[pair] = (long) SLOT.getVolatile(slots, at + COUNTS + pair);
                    moved |= counts[pair] != entries.acknowledged[i * PAIRS + pair];
                }
                if (moved) {
                    for (int pair = 0; pair < PAIRS; pair++) {
                        long acknowledged = entries.acknowledged[i * PAIRS + pair];
                        gains[2 * pair] = (counts[pair] & 0xffff_ffffL) - (acknowledged & 0xffff_ffffL);
                        gains[2 * pair + 1] = (counts[pair] >>> 32) - (acknowledged >>> 32);
                    }
                    long meta = (long) SLOT.getAcquire(slots, at + META);
                    visitor.visit(slots[at + MSB], slots[at + LSB], (int) meta, (int) (meta >>> 32), gains,
                            new Read(entries, i, counts.clone()));
                }
            }
        }
    }

    /** Whether every count is acknowledged; by the reporting thread. */
    boolean acknowledged() {
        for (Entries entries : arrays) {
            for (int i = 0, placed = entries.placed; i < placed; i++) {
                int at = (int) OFFSET.getAcquire(entries.offsets, i);
                for (int pair = 0; pair < PAIRS; pair++) {
                    if ((long) SLOT.getVolatile(entries.slots, at + COUNTS + pair)
                            != entries.acknowledged[i * PAIRS + pair]) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** Counters that are not 0, once for each array that holds part of one. */
    int counters() {
        int counters = 0;
        for (Entries entries : arrays) {
            for (int i = 0, placed = entries.placed; i < placed; i++) {
                int at = (int) OFFSET.getAcquire(entries.offsets, i);
                for (int pair = 0; pair < PAIRS; pair++) {
                    long counts = (long) SLOT.getVolatile(entries.slots, at + COUNTS + pair);
                    counters += ((int) counts != 0 ? 1 : 0) + (counts >>> 32 != 0 ? 1 : 0);
                }
            }
        }
        return counters;
    }

    /** Entries in the latest array: those that decisions find. */
    int size() {
        return latest.placed;
    }

    private static int find(long[] slots, int hash, long msb, long lsb, int endpoint) {
        int mask = (slots.length - PAD) / LONGS - 1;
        int i = hash & mask;
        for (int probes = 0; probes < MAX_PROBES; probes++, i = (i + 1) & mask) {
            int at = PAD + i * LONGS;
            long meta = (long) SLOT.getAcquire(slots, at + META);
            if (meta == 0) {
                return -1;
            }
            if ((int) meta == endpoint && slots[at + MSB] == msb && slots[at + LSB] == lsb) {
                return at;
            }
        }
        return -1;
    }

    /** Writes the entry into the first empty slot within {@value #MAX_PROBES} of its home, publishing it last. */
    private static boolean place(Entries entries, int hash, long msb, long lsb, int endpoint) {
        long[] slots = entries.slots;
        int mask = entries.capacity() - 1;
        int i = hash & mask;
        for (int probes = 0; probes < MAX_PROBES; probes++, i = (i + 1) & mask) {
            int at = PAD + i * LONGS;
            if ((long) SLOT.getAcquire(slots, at + META) == 0) {
                slots[at + MSB] = msb;
                slots[at + LSB] = lsb;
                SLOT.setRelease(slots, at + META, (long) endpoint & 0xffff_ffffL);
                OFFSET.setRelease(entries.offsets, entries.placed, at);
                entries.placed++;
                return true;
            }
        }
        return false;
    }

    private static int hash(long msb, long lsb, int endpoint) {
        return UsageCounter.spread(msb ^ endpoint * 0x9e3779b97f4a7c15L, lsb);
    }
}
