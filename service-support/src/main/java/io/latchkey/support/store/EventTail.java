package io.latchkey.support.store;

import java.util.ArrayList;
import java.util.List;

/**
 * The positions of the last {@code capacity} documents appended to an event collection, with their timestamps, so that
 * a tracking processor's fetch ({@code timestamp >= T}, near the head) reads a few candidates instead of scanning the
 * whole collection. Timestamps are compared as strings, as the store compares them; they need not arrive in order.
 * The tail answers only when it provably holds every document with {@code timestamp >= T}: each entry keeps the
 * greatest timestamp appended up to it, and documents that left the tail (or were there before it) are summed up by
 * their greatest timestamp. Synchronized although the collection's writes and queries hold its own lock: the store
 * counts documents without that lock.
 */
final class EventTail {

    private final Object[] positions;
    private final String[] timestamps;
    /** For each entry, the greatest timestamp among it and everything appended before it: never decreases. */
    private final String[] greatestSoFar;
    private long appended;
    /** The greatest timestamp of the documents not in the tail, or null when there are none. */
    private String greatestBefore;
    private boolean usable = true;

    /** A tail of an empty collection, or of one whose documents' greatest timestamp is {@code greatestBefore}. */
    EventTail(int capacity, String greatestBefore) {
        positions = new Object[capacity];
        timestamps = new String[capacity];
        greatestSoFar = new String[capacity];
        this.greatestBefore = greatestBefore;
    }

    synchronized void appended(Object position, String at) {
        int slot = slot(appended);
        if (appended >= positions.length) {
            greatestBefore = max(greatestBefore, timestamps[slot]);
        }
        String previous = appended == 0 ? greatestBefore : greatestSoFar[slot(appended - 1)];
        positions[slot] = position;
        timestamps[slot] = at;
        greatestSoFar[slot] = max(previous, at);
        appended++;
    }

    /** A document was changed or removed: events never are, so this collection is not what the tail assumes. */
    synchronized void invalidate() {
        usable = false;
    }

    synchronized boolean usable() {
        return usable;
    }

    /**
     * The positions, oldest first, of the documents whose timestamp is at least {@code bound}, or null when the tail
     * cannot tell and the caller must scan.
     */
    synchronized List<Object> from(String bound) {
        if (!usable || (greatestBefore != null && greatestBefore.compareTo(bound) >= 0)) {
            return null;
        }
        long oldest = Math.max(0, appended - positions.length);
        long low = oldest;
        long high = appended;
        // The first entry whose greatest-so-far reaches the bound: no entry before it can match.
        while (low < high) {
            long middle = (low + high) >>> 1;
            if (greatestSoFar[slot(middle)].compareTo(bound) >= 0) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        List<Object> candidates = new ArrayList<>((int) (appended - low));
        for (long i = low; i < appended; i++) {
            if (timestamps[slot(i)].compareTo(bound) >= 0) {
                candidates.add(positions[slot(i)]);
            }
        }
        return candidates;
    }

    private int slot(long index) {
        return (int) (index % positions.length);
    }

    static String max(String a, String b) {
        return a == null || (b != null && b.compareTo(a) > 0) ? b : a;
    }
}
