package io.latchkey.api;

/**
 * A token-bucket limit: {@code limit} requests per {@code periodSeconds}, with an optional {@code burst}
 * (bucket capacity; null means the same as {@code limit}).
 */
public record RateLimit(long limit, long periodSeconds, Long burst) {

    public RateLimit {
        if (limit < 1) {
            throw new IllegalArgumentException("rate limit must be at least 1 request");
        }
        if (periodSeconds < 1 || periodSeconds > 86_400 * 31L) {
            throw new IllegalArgumentException("rate limit period must be between 1 second and 31 days");
        }
        if (burst != null && burst < limit) {
            throw new IllegalArgumentException("burst must not be smaller than the limit");
        }
    }

    public long capacity() {
        return burst == null ? limit : burst;
    }
}
