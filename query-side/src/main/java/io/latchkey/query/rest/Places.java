package io.latchkey.query.rest;

import io.latchkey.support.web.ProblemException;
import java.util.concurrent.Semaphore;

/**
 * A bounded number of places for requests whose work must not pile up. A request that finds none is answered 429
 * with {@code Retry-After: 1} at once (waiting would hold a request thread that every tenant and the edges' fallback
 * share); one that got a place gives it back with {@link #release()}.
 */
final class Places {

    private final Semaphore places;
    private final String slug;
    private final String detail;

    Places(int count, String slug, String detail) {
        if (count < 0) {
            // Zero is a choice (none of these requests at all); below it is a mistake.
            throw new IllegalArgumentException(slug + ": the number of places must not be negative, got " + count);
        }
        this.places = new Semaphore(count);
        this.slug = slug;
        this.detail = detail;
    }

    void take() {
        if (!places.tryAcquire()) {
            throw new ProblemException(429, slug, "Too Many Requests", detail, 1);
        }
    }

    void release() {
        places.release();
    }
}
