package io.latchkey.query;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * How long the usage read model keeps a key's minutes ({@code latchkey.usage.retention}, 400 days: more than the year
 * of hour and day buckets a usage query may span). Older minutes are dropped every hour and never written again, by a
 * replay or a late report; without it the minutes grew by one document per busy key a minute for good. A key's months
 * (admitted requests, last use) and the usage events, the audit record, are kept.
 */
@Component
public class UsageRetention {

    private static final Logger log = LoggerFactory.getLogger(UsageRetention.class);
    private static final Duration LEAST = Duration.ofDays(1);
    private static final String MINUTE = "minute";

    private final MongoTemplate mongo;
    private final Clock clock;
    private final Duration retention;

    UsageRetention(MongoTemplate mongo, Clock clock, @Value("${latchkey.usage.retention:P400D}") Duration retention) {
        if (retention.compareTo(LEAST) < 0) {
            throw new IllegalArgumentException("latchkey.usage.retention must be at least a day (P1D), not "
                    + retention);
        }
        this.mongo = mongo;
        this.clock = clock;
        this.retention = retention;
        // The sweep finds the oldest minutes by it; the embedded store would scan every minute of every key.
        mongo.indexOps(KeyUsageProjection.MINUTES).createIndex(new Index().on(MINUTE, Sort.Direction.ASC));
    }

    /** The first minute kept: counts of earlier minutes are dropped, and not written. */
    public Instant horizon() {
        return clock.instant().minus(retention).truncatedTo(ChronoUnit.MINUTES);
    }

    @Scheduled(initialDelayString = "PT1M", fixedDelayString = "${latchkey.usage.retention-sweep:PT1H}")
    void sweep() {
        Instant horizon = horizon();
        long dropped = dropBefore(horizon);
        if (dropped > 0) {
            log.info("Dropped {} minutes of key usage before {} (latchkey.usage.retention {})", dropped, horizon,
                    retention);
        }
    }

    /**
     * Drops every key's minutes before {@code horizon}, oldest first and a day of them per delete, so that no delete
     * holds the embedded store's lock on the minutes, which the usage projection writes, for long.
     */
    long dropBefore(Instant horizon) {
        long dropped = 0;
        while (true) {
            Document oldest = mongo.findOne(query(where(MINUTE).lt(Date.from(horizon))).with(Sort.by(MINUTE)),
                    Document.class, KeyUsageProjection.MINUTES);
            if (oldest == null) {
                return dropped;
            }
            Instant dayAfter = oldest.getDate(MINUTE).toInstant().plus(1, ChronoUnit.DAYS);
            Instant until = dayAfter.isBefore(horizon) ? dayAfter : horizon;
            dropped += mongo.remove(query(where(MINUTE).lt(Date.from(until))), KeyUsageProjection.MINUTES)
                    .getDeletedCount();
        }
    }
}
