package io.latchkey.api;

import java.time.Instant;

/**
 * The instants Latchkey takes from its callers: from 1970 to the end of the year 9999, UTC. The stores and the replica
 * hold times as epoch milliseconds, and expiries, minutes and months are computed from them; an instant far past
 * these bounds overflows there, and in an event it would stop every projection that reads it, so it is refused
 * before it can become one.
 */
public final class TimeBounds {

    /** The first instant not taken: the start of the year 10000. */
    public static final Instant END = Instant.parse("+10000-01-01T00:00:00Z");

    private TimeBounds() {
    }

    /** True for a non-null instant from 1970 to the end of 9999. */
    public static boolean holds(Instant at) {
        return at != null && !at.isBefore(Instant.EPOCH) && at.isBefore(END);
    }
}
