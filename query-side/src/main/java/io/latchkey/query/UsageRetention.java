package io.latchkey.query;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
import org.springframework.stereotype.Component;

/**
 * How long the usage read model keeps a key's minutes ({@code latchkey.usage.retention}, 400 days: more than the year
 * of hour and day buckets a usage query may span). Minutes before the horizon are not written, by a replay or a late
 * report, and a sweep every hour drops those older than the horizon by an hour more (so that it never drops a minute
 * the projection may still be writing); without it the minutes grew by one document per busy key a minute for good. A
 * key's months (admitted requests, last use) and the usage events, the audit record, are kept.
 */
@Component
public class UsageRetention implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UsageRetention.class);
    private static final Duration LEAST = Duration.ofDays(1);
    /** A century, for "keep them": any longer would put the horizon out of the stores' range of dates. */
    private static final Duration MOST = Duration.ofDays(36_500);
    private static final Duration SWEEP_EVERY = Duration.ofHours(1);
    /** How much older than the horizon a minute the sweep drops is: the projection's writes lag its reads. */
    private static final Duration GRACE = Duration.ofHours(1);
    private static final String MINUTE = "minute";

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

    /**
     * The sweep finds the oldest minutes by it (the embedded store would scan every minute of every key). Made by the
     * sweep, off the start: the embedded store reads every minute into a new index (and again each time it starts).
     */
    private void indexMinutes() {
        try {
            mongo.indexOps(KeyUsageProjection.MINUTES).createIndex(new Index().on(MINUTE, Sort.Direction.ASC));
        } catch (RuntimeException e) {
            log.warn("Could not index the usage minutes by time; the next sweep tries again", e);
        }
    }

    /** The first minute kept: counts of earlier minutes are not written, and are dropped within a sweep or two. */
    public Instant horizon() {
        return clock.instant().minus(retention).truncatedTo(ChronoUnit.MINUTES);
    }

    private void sweep() {
        try {
            indexMinutes();
            Instant before = horizon().minus(GRACE);
            long dropped = dropBefore(before);
            if (dropped > 0) {
                log.info("Dropped {} minutes of key usage before {} (latchkey.usage.retention {})", dropped, before,
                        retention);
            }
        } catch (RuntimeException e) {
            log.warn("Could not drop old usage minutes; the next sweep tries again", e);
        }
    }

    /**
     * Drops every key's minutes before {@code before}, oldest first and one minute of all keys per delete, so that no
     * delete holds the embedded store's lock on the minutes, which the usage projection writes, for long.
     */
    long dropBefore(Instant before) {
        long dropped = 0;
        while (true) {
            Document oldest = mongo.findOne(query(where(MINUTE).lt(Date.from(before))).with(Sort.by(MINUTE)),
                    Document.class, KeyUsageProjection.MINUTES);
            if (oldest == null) {
                return dropped;
            }
            long removed = mongo.remove(query(where(MINUTE).is(oldest.getDate(MINUTE))), KeyUsageProjection.MINUTES)
                    .getDeletedCount();
            if (removed == 0) {
                // Found but not matched again: stop rather than find it for ever.
                log.warn("Could not drop the usage minute {}; the next sweep tries again", oldest.get("_id"));
                return dropped;
            }
            dropped += removed;
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
