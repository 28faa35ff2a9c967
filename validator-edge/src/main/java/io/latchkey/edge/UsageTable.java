package io.latchkey.edge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

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
    /** An array of 128 MiB (and 40 MiB of acknowledged counts beside it) for a million entries at half load. */
    static final int MAX_CAPACITY = 1 << 21;
    /**
     * Far more than a run at half load needs (at a third full a limit of 16 is passed about once in 100,000 entries,
     * and then the array grows), so that bad luck seldom makes an array grow.
     */
    private static final int MAX_PROBES = 64;
    /**
     * Mixed into every hash, new in every process: key ids are random, but a developer who makes many keys could keep
     * those whose slots cluster under a hash known in advance.
     */
    private static final long SEED = ThreadLocalRandom.current().nextLong();
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
    static final int IN_TABLE = 1;
    static final int NO_ROOM = 0;
    static final int CAPPED = -1;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle OFFSET = MethodHandles.arrayElementVarHandle(int[].class);

    /**
     * One array of entries, with where its entries are, in the order they were placed, so that a report reads only
     * those; {@code placed} is written after the offset it counts. {@code acknowledged} holds, in that order, each
     * entry's counts as of the last report acknowledged, packed as the counts are; used under the reporter's lock only.
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
    private final KeyEndpoints keys = new KeyEndpoints();
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

        /**
         * Makes the counts read the entry's acknowledged ones, each only if larger, so that acknowledging an older
         * report after a newer one changes nothing; under the reporter's lock.
         */
        void acknowledge() {
            for (int pair = 0; pair < PAIRS; pair++) {
                long held = entries.acknowledged[index * PAIRS + pair];
                long read = counts[pair];
                entries.acknowledged[index * PAIRS + pair] = Math.max(held & 0xffff_ffffL, read & 0xffff_ffffL)
                        | Math.max(held >>> 32, read >>> 32) << 32;
            }
        }
    }

    /**
     * Counts one decision with outcome {@code outcome} (below {@value #OUTCOMES}) at {@code millis} into the minute,
     * which is set as the entry's last use before the count; false when the entry is not in the table. {@code hash} is
     * the entry's {@link #hash}, which the decision carries.
     */
    boolean count(int hash, long msb, long lsb, int endpoint, int outcome, int millis) {
        assert outcome >= 0 && outcome < OUTCOMES && endpoint != 0;
        long[] slots = latest.slots;
        int at = find(slots, hash, msb, lsb, endpoint);
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
     * Loads the first line that {@link #count} would read for each of these entries, so that a batch of decisions can
     * have their misses overlap before counting; returns what it loaded, for the caller to keep the loads from being
     * elided. A tight loop, so that the processor has many of them under way at once.
     */
    long touch(int[] hashes) {
        long[] slots = latest.slots;
        int mask = (slots.length - PAD) / LONGS - 1;
        long loaded = 0;
        for (int hash : hashes) {
            loaded += slots[PAD + (hash & mask) * LONGS + META];
        }
        return loaded;
    }

    /**
     * Adds the entry unless it is there. {@link #IN_TABLE} when it is in the table now; {@link #CAPPED} when its key
     * already has {@code maxEndpoints} endpoints in the table; {@link #NO_ROOM} when it fits nowhere.
     */
    synchronized int add(long msb, long lsb, int endpoint, int maxEndpoints) {
        assert endpoint != 0;
        if (find(latest.slots, hash(msb, lsb, endpoint), msb, lsb, endpoint) >= 0) {
            return IN_TABLE;
        }
        if (keys.endpoints(msb, lsb) >= maxEndpoints) {
            return CAPPED;
        }
        if (!placed(msb, lsb, endpoint)) {
            return NO_ROOM;
        }
        keys.added(msb, lsb);
        return IN_TABLE;
    }

    /**
     * How many endpoints each key has in the table, by the key's bits: three longs a key (its bits and the number),
     * open addressing at most half full; used under the table's lock only, so it grows in place.
     */
    private static final class KeyEndpoints {
        private long[] slots = new long[3 * 1024];
        private int size;

        int endpoints(long msb, long lsb) {
            int at = slot(slots, msb, lsb);
            return (int) slots[at + 2];
        }

        void added(long msb, long lsb) {
            int at = slot(slots, msb, lsb);
            if (slots[at + 2] == 0) {
                slots[at] = msb;
                slots[at + 1] = lsb;
                size++;
            }
            // Counted before growing, which copies only the slots that hold a count.
            slots[at + 2]++;
            if (2 * size > slots.length / 3) {
                long[] grown = new long[2 * slots.length];
                for (int from = 0; from < slots.length; from += 3) {
                    if (slots[from + 2] != 0) {
                        System.arraycopy(slots, from, grown, slot(grown, slots[from], slots[from + 1]), 3);
                    }
                }
                slots = grown;
            }
        }

        /** Where the key is, or the empty slot where it would go. */
        private static int slot(long[] slots, long msb, long lsb) {
            int mask = slots.length / 3 - 1;
            for (int i = hash(msb, lsb, 0) & mask; ; i = (i + 1) & mask) {
                int at = 3 * i;
                if (slots[at + 2] == 0 || slots[at] == msb && slots[at + 1] == lsb) {
                    return at;
                }
            }
        }
    }

    /** Places an entry not in the latest array there, beginning a larger one if need be; false when it fits nowhere. */
    private boolean placed(long msb, long lsb, int endpoint) {
        int hash = hash(msb, lsb, endpoint);
        Entries entries = latest;
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
     * its counts read before its last use, so that a count seen has its time; under the reporter's lock. Entries that
     * did not move cost a comparison, and nothing is made for them.
     */
    void forEachUnacknowledged(Visitor visitor) {
        long[] counts = new long[PAIRS];
        long[] gains = new long[OUTCOMES];
        for (Entries entries : arrays) {
            long[] slots = entries.slots;
            for (int i = 0, placed = entries.placed; i < placed; i++) {
                int at = (int) OFFSET.getAcquire(entries.offsets, i);
                if (moved(entries, i, at, counts)) {
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

    /** Whether every count is acknowledged; under the reporter's lock. */
    boolean acknowledged() {
        long[] counts = new long[PAIRS];
        for (Entries entries : arrays) {
            for (int i = 0, placed = entries.placed; i < placed; i++) {
                if (moved(entries, i, (int) OFFSET.getAcquire(entries.offsets, i), counts)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Reads the counts of the {@code i}th entry placed, at {@code at}, into {@code counts}: whether they moved. */
    private static boolean moved(Entries entries, int i, int at, long[] counts) {
        boolean moved = false;
        for (int pair = 0; pair < PAIRS; pair++) {
            counts[pair] = (long) SLOT.getVolatile(entries.slots, at + COUNTS + pair);
            moved |= counts[pair] != entries.acknowledged[i * PAIRS + pair];
        }
        return moved;
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

    /**
     * Where an entry's probes begin, before the mask: for a decision, computed once, by the request thread that
     * records it, and carried through its batch.
     */
    static int hash(long msb, long lsb, int endpoint) {
        return UsageCounter.spread(msb ^ endpoint * 0x9e3779b97f4a7c15L ^ SEED, lsb);
    }
}
