package io.latchkey.query.rest;

import io.latchkey.support.web.ProblemException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * A bounded number of places for requests whose work must not pile up. A request that finds none is answered 429 with
 * {@code Retry-After: 1} at once (waiting would hold a request thread that every tenant and the edges' fallback share);
 * one that got a place gives it back with {@link #release} ({@link #within} does both). No developer holds more than
 * half of them (at least one), so that one tenant cannot take every place from the others (two still can); the operator
 * is held to the total only. Callers pass the caller's developer id after the route's own access check, so that null is
 * the operator.
 */
final class Places {

    private final Semaphore places;
    private final int perDeveloper;
    /** Places each developer holds; a developer holding none has no entry. */
    private final ConcurrentHashMap<String, Integer> held = new ConcurrentHashMap<>();
    private final String slug;
    private final String detail;

    Places(int count, String slug, String detail) {
        if (count < 0) {
            // Zero is a choice (none of these requests at all); below it is a mistake.
            throw new IllegalArgumentException(slug + ": the number of places must not be negative, got " + count);
        }
        this.places = new Semaphore(count);
        this.perDeveloper = Math.max(1, count / 2);
        this.slug = slug;
        this.detail = detail;
    }

    /** Takes a place for a request of {@code developerId} (null: the operator), or answers 429. */
    void take(String developerId) {
        if (developerId != null) {
            boolean[] taken = {false};
            held.compute(developerId, (developer, count) -> {
                int holding = count == null ? 0 : count;
                taken[0] = holding < perDeveloper;
                return taken[0] ? holding + 1 : count;
            });
            if (!taken[0]) {
                throw tooMany();
            }
        }
        if (!places.tryAcquire()) {
            givenBack(developerId);
            throw tooMany();
        }
    }

    /** Work done in a place; it may throw what the route's own work throws (a wait: being interrupted). */
    interface Work<T, E extends Exception> {
        T get() throws E;
    }

    /** Does {@code work} in a place taken for {@code developerId} (null: the operator), given back however it ends. */
    <T, E extends Exception> T within(String developerId, Work<T, E> work) throws E {
        take(developerId);
        try {
            return work.get();
        } finally {
            release(developerId);
        }
    }

    /** Gives back a place {@link #take} gave the same {@code developerId}. */
    void release(String developerId) {
        places.release();
        givenBack(developerId);
    }

    private void givenBack(String developerId) {
        if (developerId != null) {
            held.computeIfPresent(developerId, (developer, count) -> count == 1 ? null : count - 1);
        }
    }

    /** The same answer whether the total or the developer's share is taken: which of the two is not told. */
    private ProblemException tooMany() {
        return new ProblemException(429, slug, "Too Many Requests", detail, 1);
    }
}
