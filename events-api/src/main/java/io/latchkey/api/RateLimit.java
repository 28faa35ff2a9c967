package io.latchkey.api;

/**
 * A token-bucket limit: {@code limit} requests per {@code periodSeconds}, with an optional {@code burst}
 * (bucket capacity; null means the same as {@code limit}). A limit or burst above {@value #MAX_REQUESTS} reads as
 * that: the edges' bucket arithmetic (doubles, in Redis's Lua too) is exact up to there, no traffic tells the
 * difference, and the services refuse more, but events stored before they did can hold more. A burst equal to the
 * limit reads as none, so that a limit has one form wherever it is shown (in a history, an event stored with such a
 * burst shows none) and two limits that limit alike are equal: a change to an equal limit records nothing and answers
 * the limit it was sent, which is then the one held, whichever of the two forms either was given in.
 */
public record RateLimit(long limit, long periodSeconds, Long burst) {

    public static final long MAX_REQUESTS = 1_000_000_000L;
    public static final long MAX_PERIOD_SECONDS = 86_400 * 31L;

    public RateLimit {
        if (limit < 1) {
            throw new IllegalArgumentException("rate limit must be at least 1 request");
        }
        if (periodSeconds < 1 || periodSeconds > MAX_PERIOD_SECONDS) {
            throw new IllegalArgumentException("rate limit period must be between 1 second and 31 days");
        }
        if (burst != null && burst < limit) {
            throw new IllegalArgumentException("burst must not be smaller than the limit");
        }
        limit = Math.min(limit, MAX_REQUESTS);
        burst = burst == null || Math.min(burst, MAX_REQUESTS) == limit ? null : Math.min(burst, MAX_REQUESTS);
    }

    public long capacity() {
        return burst == null ? limit : burst;
    }
}
