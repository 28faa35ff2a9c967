package io.latchkey.query.rest;

import io.latchkey.query.KeyUsageProjection;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A key's usage from {@code from} (inclusive) to {@code to} (exclusive): buckets of a {@code granularity} (minute,
 * hour or day of UTC) by endpoint and outcome, oldest first, and their totals by outcome. Counts reach it within a few
 * seconds of the decisions. {@code retainedFrom} is the usage retention's horizon: counts of earlier minutes are not
 * written, and are dropped within a sweep or two.
 */
record UsageResponse(String keyId, Instant from, Instant to, String granularity, Instant retainedFrom,
                     Instant lastUsedAt, Map<String, Long> totals, List<KeyUsageProjection.Bucket> buckets) {
}
