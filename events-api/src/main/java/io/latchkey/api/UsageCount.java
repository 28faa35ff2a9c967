package io.latchkey.api;

import java.time.Instant;

/**
 * How many decisions an edge made for one key in one minute, for one endpoint, with one outcome.
 *
 * @param minute   the start of the minute (UTC) the decisions fell in
 * @param endpoint the request path the gateway reported, normalised by the edge, or {@code *} when none was
 * @param outcome  {@code valid} or the denial, in lower case ({@code insufficient_scope}, {@code rate_limited}, ...)
 * @param count    at least 1
 */
public record UsageCount(Instant minute, String endpoint, String outcome, long count) {
}
