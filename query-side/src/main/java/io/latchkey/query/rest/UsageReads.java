package io.latchkey.query.rest;

import io.latchkey.query.KeyUsageProjection;
import io.latchkey.support.security.Caller;
import io.latchkey.support.web.ProblemException;
import io.latchkey.validator.spring.Settings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Reads usage buckets for a key's route and for the traffic no key was found for: buckets of a minute, an hour or a
 * day over at most {@value #MAX_MINUTE_DAYS} days of minutes or {@value #MAX_DAYS} days of hours or days; the last
 * hour when no range is given. A range with more than {@code latchkey.usage.max-buckets} buckets answers 422
 * {@code too-many-buckets} rather than a response too big to hold.
 */
@Component
class UsageReads {

    private static final int MAX_MINUTE_DAYS = 31;
    private static final int MAX_DAYS = 366;

    private final KeyUsageProjection usage;
    private final Clock clock;
    private final int maxBuckets;
    /**
     * Usage queries running at once ({@code latchkey.usage.max-queries}; another is answered 429): one can read
     * a year of a busy key's minutes, holding the embedded store's lock on the minutes that the usage projection's
     * writes wait for, so a few from one admin key could hold up ingest. No developer holds more than half of them.
     */
    private final Places queries;

    UsageReads(KeyUsageProjection usage, Clock clock,
               @Value("${latchkey.usage.max-buckets:100000}") int maxBuckets,
               @Value("${latchkey.usage.max-queries:4}") int maxQueries) {
        this.usage = usage;
        this.clock = clock;
        this.maxBuckets = Settings.atLeast("latchkey.usage.max-buckets", maxBuckets, 1);
        this.queries = new Places(Settings.atLeast("latchkey.usage.max-queries", maxQueries, 1),
                "too-many-usage-queries",
                "Too many usage queries are running; ask again shortly.");
    }

    /** Absent takes the default (minute); empty is a bad value, as an empty limit or cursor is. */
    static KeyUsageProjection.Granularity granularity(String granularity) {
        return switch (granularity == null ? "minute" : granularity) {
            case "minute" -> KeyUsageProjection.Granularity.MINUTE;
            case "hour" -> KeyUsageProjection.Granularity.HOUR;
            case "day" -> KeyUsageProjection.Granularity.DAY;
            default -> throw new ProblemException(400, "invalid-granularity", "Bad request",
                    "granularity must be minute, hour or day.");
        };
    }

    /** The buckets of {@code id} (a key's id, or the id unattributed traffic is counted under). */
    UsageResponse read(String id, String from, String to, KeyUsageProjection.Granularity size, Caller caller) {
        Instant givenFrom = QueryParameters.instant(from);
        Instant givenTo = QueryParameters.instant(to);
        List<String> unreadable = new ArrayList<>();
        if (from != null && givenFrom == null) {
            unreadable.add("from");
        }
        if (to != null && givenTo == null) {
            unreadable.add("to");
        }
        if (!unreadable.isEmpty()) {
            throw QueryParameters.unreadable(unreadable);
        }
        String unit = size.name().toLowerCase(Locale.ROOT);
        Instant end = givenTo == null ? clock.instant().truncatedTo(ChronoUnit.MILLIS) : givenTo;
        // An hour before a time early in 1970 is not one this answers about: the range starts in 1970.
        Instant start = givenFrom != null ? givenFrom
                : Collections.max(List.of(Instant.EPOCH, end.minus(Duration.ofHours(1))));
        int maxDays = size == KeyUsageProjection.Granularity.MINUTE ? MAX_MINUTE_DAYS : MAX_DAYS;
        if (!start.isBefore(end) || Duration.between(start, end).compareTo(Duration.ofDays(maxDays)) > 0) {
            throw ProblemException.invalid("from must be before to, at most " + maxDays + " days apart for "
                    + unit + " buckets" + (to == null ? "; to is now when not given." : from == null
                    ? "; from is an hour before to, and not before 1970, when not given." : "."));
        }
        List<KeyUsageProjection.Bucket> buckets;
        try {
            buckets = queries.within(caller.developerId(), () -> usage.buckets(id, start, end, size, maxBuckets));
        } catch (KeyUsageProjection.TooManyBuckets e) {
            throw new ProblemException(422, "too-many-buckets", "Invalid request", "The range holds more than "
                    + maxBuckets + " buckets: narrow it, or ask for hour or day buckets.");
        }
        Map<String, Long> totals = new TreeMap<>();
        buckets.forEach(bucket -> totals.merge(bucket.outcome(), bucket.count(), Long::sum));
        return new UsageResponse(id, start, end, unit, usage.retainedFrom(),
                usage.summary(id).map(KeyUsageProjection.Summary::lastUsedAt).orElse(null), totals, buckets);
    }
}
