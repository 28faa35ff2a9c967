package io.latchkey.query.rest;

import io.latchkey.support.web.ProblemException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A bounded number of places for requests whose work must not pile up. A request that finds none within its wait is
 * answered 429 with {@code Retry-After: 1}; one that got a place gives it back with {@link #release()}.
 */
final class Places {

    private final Semaphore places;
    private final Duration wait;
    private final String slug;
    private final String detail;

    Places(int count, Duration wait, String slug, String detail) {
        this.places = new Semaphore(count);
        this.wait = wait;
        this.slug = slug;
        this.detail = detail;
    }

    void take() {
        boolean taken;
        try {
            taken = places.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            taken = false;
        }
        if (!taken) {
            throw new ProblemException(429, slug, "Too Many Requests", detail, 1);
        }
    }

    void release() {
        places.release();
    }
}
