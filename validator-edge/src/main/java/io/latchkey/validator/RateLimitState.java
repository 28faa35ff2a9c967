package io.latchkey.validator;

/**
 * Where a key stands against its rate limit after one decision; what the IETF RateLimit header fields and
 * {@code Retry-After} are made from.
 *
 * @param allowed           whether this request took a token
 * @param limit             requests per period (the policy's quota)
 * @param periodSeconds     the policy's window
 * @param remaining         whole tokens left after this request
 * @param resetSeconds      seconds until the bucket is full again
 * @param retryAfterSeconds seconds until the next token, 0 when one is available now
 */
public record RateLimitState(boolean allowed, long limit, long periodSeconds, long remaining, long resetSeconds,
                             long retryAfterSeconds) {
}
