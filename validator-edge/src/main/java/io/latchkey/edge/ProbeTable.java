package io.latchkey.edge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * An open-addressing table that only grows: readers {@link #find} without a lock, from {@code hash & (length - 1)} on
 * for at most {@value #MAX_PROBES} slots or to the first empty one, comparing what they meet with their own cheap
 * test; adds take the table's lock. It exists for the request thread's lookups by
 * keys whose {@code hashCode} would cost more than the lookup (a fresh string hashed character by character). An entry
 * that would lie further than {@value #MAX_PROBES} slots from its home makes the table grow while it is at least an
 * eighth full, and is not added otherwise, so that keys chosen to collide can make neither a lookup long nor the
 * table large; callers take a slower path for it, as for anything not found.
 */
final class ProbeTable<E> {

    static final int MAX_PROBES = 16;
    /** Slots are written with release and read with acquire: an entry seen is seen whole, arrays included. */
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);

    private final ToIntFunction<E> hash;
    private volatile Object[] slots = new Object[16];
    private volatile int size;

    ProbeTable(ToIntFunction<E> hash) {
        this.hash = hash;
    }

    /**
     * How a reader recognises its entry from what it looks for: {@code probe} and its hash are passed through so that
     * the test captures nothing, a lookup allocates nothing, and an entry can be told apart by its hash first.
     */
    @FunctionalInterface
    interface Match<E, P> {
        boolean test(E entry, P probe, int hash);
    }

    /** The entry that {@code match} recognises, or null when there is none or it was not added. */
    <P> E find(int hash, P probe, Match<E, P> match) {
        Object[] current = slots;
        int mask = current.length - 1;
        int i = hash & mask;
        for (int probes = 0; probes < MAX_PROBES; probes++, i = (i + 1) & mask) {
            @SuppressWarnings("unchecked")
            E entry = (E) SLOT.getAcquire(current, i);
            if (entry == null) {
                return null;
            }
            if (match.test(entry, probe, hash)) {
                return entry;
            }
        }
        return null;
    }

    /**
     * The entry that {@code match} recognises, as {@link #find} looks for it, added from {@code made} when there is
     * none; null when it could not be.
     */
    synchronized <P> E addIfAbsent(int hash, P probe, Match<E, P> match, Supplier<E> made) {
        E found = find(hash, probe, match);
        if (found != null) {
            return found;
        }
        Object[] current = slots;
        if (2 * (size + 1) > current.length) {
            current = grown(current);
        }
        E entry = made.get();
        boolean placed = place(current, entry, hash);
        // A long run in a table that is not nearly empty is bad luck, which more room cures; in a nearly empty one
        // it is collisions, which it would not.
        if (!placed && 8 * size >= current.length) {
            current = grown(current);
            placed = place(current, entry, hash);
        }
        size += placed ? 1 : 0;
        // The volatile write publishes a grown array with everything placed in it.
        slots = current;
        return placed ? entry : null;
    }

    /**
     * The entries in twice the slots. One that no longer lies within {@value #MAX_PROBES} of its home is dropped,
     * which its callers see as a miss and answer from their slower path, as for an entry never added.
     */
    @SuppressWarnings("unchecked")
    private Object[] grown(Object[] current) {
        Object[] grown = new Object[current.length * 2];
        int kept = 0;
        for (Object held : current) {
            if (held != null && place(grown, held, hash.applyAsInt((E) held))) {
                kept++;
            }
        }
        size = kept;
        return grown;
    }

    /** Puts an entry in the first empty slot within {@value #MAX_PROBES} of its home; false when there is none. */
    private static boolean place(Object[] into, Object entry, int hash) {
        int mask = into.length - 1;
        for (int i = hash & mask, probes = 0; probes < MAX_PROBES; i = (i + 1) & mask, probes++) {
            if (into[i] == null) {
                SLOT.setRelease(into, i, entry);
                return true;
            }
        }
        return false;
    }

    int size() {
        return size;
    }
}
