package io.latchkey.command.rest;

/** A developer's default rate limit after a change; null when removed. */
record DeveloperRateLimitResponse(String developerId, RateLimitBody rateLimit, long version) {
}
