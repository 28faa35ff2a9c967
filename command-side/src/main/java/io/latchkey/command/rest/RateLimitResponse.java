package io.latchkey.command.rest;

/** A key's rate limit after a change. */
record RateLimitResponse(String keyId, RateLimitBody rateLimit, long version) {
}
