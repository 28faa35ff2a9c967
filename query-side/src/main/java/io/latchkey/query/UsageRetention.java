package io.latchkey.query;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.stereotype.Component;

/**
 * How long the usage read model keeps a key's minutes ({@code latchkey.usage.retention}, 400 days: more than the year
 * of hour and day buckets a usage query may span). Minutes before the horizon are not written, by a replay or a late
 * report, and a sweep every hour drops those older than the horizon by an hour more (so that it drops no minute the
 * projection may still be writing, unless a batch of its writes takes over an hour); without it the minutes grew by
 * one document per busy key a minute for good. A key's months (admitted requests, last use) and the usage events, the
 * audit record, are kept.
 */
@Component
class UsageRetention implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UsageRetention.class);
    private static final Duration LEAST = Duration.ofDays(1);
    /** A century, for "keep them": any longer would put the horizon out of the stores' range of dates. */
    private static final Duration MOST = Duration.ofDays(36_500);
    private static final Duration SWEEP_EVERY = Duration.ofHours(1);
    /** How much older than the horizon a minute the sweep drops is: the projection's writes lag its reads. */
    private static final Duration GRACE = Duration.ofHours(1);

    private final MongoTemplate mongo;
    private final Clock clock;
    private final Duration retention;
    /** Its own thread: a first sweep after an upgrade may take minutes, and the replica's publisher must not wait. */
    private final ScheduledExecutorService sweeper;

    UsageRetention(MongoTemplate mongo, Clock clock, @Value("${latchkey.usage.retention:P400D}") Duration retention) {
        if (retention.compareTo(LEAST) < 0 || retention.compareTo(MOST) > 0) {
            throw new IllegalArgumentException("latchkey.usage.retention must be from a day to a century (P1D to "
                    + "P36500D), not " + retention);
        }
        this.mongo = mongo;
        this.clock = clock;
        this.retention = retention;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "latchkey-usage-retention");
            thread.setDaemon(true);
            return thread;
        });
        sweeper.scheduleWithFixedDelay(this::sweep, 1, SWEEP_EVERY.toMinutes(), TimeUnit.MINUTES);
    }

    /** The first minute kept: counts of earlier minutes are not written, and are dropped within a sweep or two. */
    Instant horizon() {
        return clock.instant().minus(retention).truncatedTo(ChronoUnit.MINUTES);
    }

    private void sweep() {
        try {
            Instant before = horizon().minus(GRACE);
            long dropped = dropBefore(before);
            if (dropped > 0) {
                log.info("Dropped {} usage documents (a key's minute each) before {} (latchkey.usage.retention {})",
                        dropped, before, retention);
            }
        } catch (RuntimeException e) {
            if (!sweeper.isShutdown()) {
                log.warn("Could not drop old usage minutes; the next sweep tries again", e);
            }
        }
    }

    /**
     * Drops every key's minutes before {@code before}. A key's minutes are a range of ids, in the order of time, which
     * both stores read without a scan: the sweep steps from key to key by the first id past the last key's, and drops
     * a key's old minutes a day at a time from its oldest, so that it needs no index by time (which every write of the
     * usage projection would pay for), finds the minutes of keys no key view names (the {@code unknown} key of
     * refused credentials among them), and no delete holds the embedded store's lock on the minutes for long.
     */
    long dropBefore(Instant before) {
        // Minute ids are zero-padded epoch minutes, never before 1970 (the stores' bounds): a horizon before that
        // would make a range that sorts wrongly.
        Instant end = before.isBefore(Instant.EPOCH) ? Instant.EPOCH : before;
        long dropped = 0;
        String from = "";
        while (!Thread.currentThread().isInterrupted()) {
            Document first = firstFrom(from);
            if (first == null) {
                return dropped;
            }
            String id = first.getString("_id");
            int bar = id.indexOf('|');
            if (bar < 0) {
                // Not a minute: step past it.
                from = id + "\0";
                continue;
            }
            String keyId = id.substring(0, bar);
            String oldest = id;
            Instant minute;
            while (oldest != null && (minute = minuteOf(oldest, keyId)) != null && minute.isBefore(end)
                    && !Thread.currentThread().isInterrupted()) {
                Instant dayAfter = minute.plus(1, ChronoUnit.DAYS);
                String upTo = KeyUsageProjection.minuteId(keyId, dayAfter.isBefore(end) ? dayAfter : end);
                if (upTo.compareTo(oldest) <= 0) {
                    // An end within the oldest minute, or an id not in the padded form: nothing before it to drop.
                    break;
                }
                dropped += mongo.remove(query(where("_id").gte(keyId + "|").lt(upTo)), KeyUsageProjection.MINUTES)
                        .getDeletedCount();
                Document next = firstFrom(upTo);
                oldest = next == null ? null : next.getString("_id");
            }
            // '}' sorts right after '|': past every minute of this key.
            from = keyId + "}";
        }
        return dropped;
    }

    /** The minute a minute document's id names when it is one of {@code keyId}'s, else null. */
    private static Instant minuteOf(String id, String keyId) {
        if (!id.startsWith(keyId + "|")) {
            return null;
        }
        try {
            return Instant.ofEpochSecond(Math.multiplyExact(Long.parseLong(id.substring(keyId.length() + 1)), 60L));
        } catch (NumberFormatException | ArithmeticException | DateTimeException notAMinute) {
            return null;
        }
    }

    /** The minute document with the least id from {@code from} on, or null. */
    private Document firstFrom(String from) {
        return mongo.findOne(query(where("_id").gte(from)).with(Sort.by("_id")), Document.class,
                KeyUsageProjection.MINUTES);
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        try {
            // A sweep under way stops before its next delete, or when the one under way ends if that takes longer.
            sweeper.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
