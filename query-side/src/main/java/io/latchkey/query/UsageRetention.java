package io.latchkey.query;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
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
public class UsageRetention implements AutoCloseable {

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
    public Instant horizon() {
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
     * Drops every key's minutes before {@code before}, one key per delete: a key's minutes are a range of ids, which
     * both stores read without a scan, so the sweep needs no index of the minutes by time, which every write of the
     * usage projection would pay for, and no delete holds the embedded store's lock on the minutes for long. The keys
     * are those of the key read model, which keeps every key ever created: the edges count only keys they know.
     */
    long dropBefore(Instant before) {
        long dropped = 0;
        try (Stream<Document> keys = mongo.stream(keyIds(), Document.class, KeyView.COLLECTION)) {
            Iterator<Document> each = keys.iterator();
            while (each.hasNext() && !Thread.currentThread().isInterrupted()) {
                String keyId = each.next().getString("_id");
                // Every id of the key's minutes begins with the key id and a bar, then the minute, numbers that sort.
                dropped += mongo.remove(query(where("_id").gte(keyId + "|")
                                .lt(KeyUsageProjection.minuteId(keyId, before))), KeyUsageProjection.MINUTES)
                        .getDeletedCount();
            }
        }
        return dropped;
    }

    private static Query keyIds() {
        Query all = new Query();
        all.fields().include("_id");
        return all;
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        try {
            // A sweep under way stops at its next key; the store's client closes after this.
            sweeper.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
