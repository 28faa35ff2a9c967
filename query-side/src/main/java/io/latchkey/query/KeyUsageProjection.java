package io.latchkey.query;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import com.mongodb.ErrorCategory;
import com.mongodb.bulk.BulkWriteError;
import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.api.UsageCount;
import io.latchkey.validator.Decision;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.messaging.Message;
import org.axonframework.messaging.unitofwork.BatchingUnitOfWork;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.BulkOperationException;
import org.springframework.data.mongodb.core.BulkOperations;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.stereotype.Component;

/**
 * Maintains the usage read model: one document per key and minute holding the counts by endpoint and outcome, and one
 * per key and month (admitted requests, last use). Each document remembers the last report it took from each edge
 * and is changed in one atomic update that checks it, so a redelivered event, or one replayed after a crash between
 * two documents, changes nothing it already changed; a document's time bounds the edges it can remember, as every edge
 * start is a new edge. The updates of a processor's batch go to the store together, as its last usage event is
 * handled: one bulk write per collection. Minutes older than the usage retention are not written
 * ({@link UsageRetention}); months are.
 */
@Component
@ProcessingGroup(KeyUsageProjection.GROUP)
public class KeyUsageProjection {

    public static final String GROUP = "key-usage";
    static final String MINUTES = "key-usage";
    static final String MONTHS = "key-usage-month";
    /** One document per key, written before {@value #MONTHS}; moved into it at start ({@link #moveSummaries}). */
    static final String SUMMARIES = "key-usage-summary";
    /** The outcomes of requests an edge let through, which a quota counts: a replaced secret's in its grace too. */
    static final Set<String> ADMITTED = Set.of(Decision.Status.VALID.usageName(), Decision.VALID_PREVIOUS_SECRET);
    private static final String PENDING = KeyUsageProjection.class.getName() + ".writes";
    private static final Logger log = LoggerFactory.getLogger(KeyUsageProjection.class);

    /** Buckets in time order; the count is not part of a bucket's place. */
    private static final Comparator<Bucket> ORDER = Comparator.comparing(Bucket::start)
            .thenComparing(Bucket::endpoint).thenComparing(Bucket::outcome);

    private final MongoTemplate mongo;
    private final UsageRetention retention;

    KeyUsageProjection(MongoTemplate mongo, UsageRetention retention) {
        this.mongo = mongo;
        this.retention = retention;
        moveSummaries();
    }

    /**
     * Moves each summary written before the months into its months, and keeps it: a query side of the previous
     * release may still be adding to it during an upgrade, and deleting it would have that release start a new one
     * from nothing. A month keeps the largest count of it any summary held as {@code movedAdmitted} (a kept summary's
     * counts only grow), and its edges' last reports, so that a replay of the reports it had counted counts them no
     * more. Runs at every start before the processor does; a summary is marked with the edge marks it was moved at and
     * skipped while they stand. Another query side moving at the same time, or a crash half-way, moves nothing twice.
     */
    void moveSummaries() {
        IdPages.forEach(mongo, SUMMARIES, Document.class, summary -> summary.getString("_id"), IdPages.PAGE,
                this::moveSummary);
    }

    private void moveSummary(Document summary) {
        if (Objects.equals(summary.get("applied"), summary.get("movedAt"))) {
            return;
        }
        String keyId = summary.getString("_id");
        Document applied = summary.get("applied", Document.class);
        Date lastUsedAt = summary.getDate("lastUsedAt");
        String lastUsedMonth = lastUsedAt == null ? null : month(lastUsedAt.toInstant());
        Document months = summary.get("admitted", Document.class);
        Map<String, Long> admitted = new LinkedHashMap<>();
        if (months != null) {
            months.forEach((month, count) -> admitted.put(month, ((Number) count).longValue()));
        }
        if (lastUsedMonth != null) {
            admitted.putIfAbsent(lastUsedMonth, 0L);
        }
        admitted.forEach((month, count) -> {
            Update update = newMonth(keyId, month).max("movedAdmitted", count);
            if (month.equals(lastUsedMonth)) {
                update.max("lastUsedAt", lastUsedAt);
            }
            if (applied != null) {
                applied.forEach((edge, batch) -> update.max("applied." + edge, batch));
            }
            Query id = query(where("_id").is(monthId(keyId, month)));
            try {
                mongo.upsert(id, update, MONTHS);
            } catch (DuplicateKeyException insertedMeanwhile) {
                mongo.upsert(id, update, MONTHS);
            }
        });
        mongo.updateFirst(query(where("_id").is(keyId).and("applied").is(applied)),
                Update.update("movedAt", applied), SUMMARIES);
    }

    /** A key's counts of one endpoint and outcome in the period of a {@link Granularity} that starts at {@code start}. */
    public record Bucket(Instant start, String endpoint, String outcome, long count) {
    }

    /** How long a bucket is; periods start at whole minutes, hours or days of UTC. */
    public enum Granularity {
        MINUTE(ChronoUnit.MINUTES), HOUR(ChronoUnit.HOURS), DAY(ChronoUnit.DAYS);

        private final ChronoUnit unit;

        Granularity(ChronoUnit unit) {
            this.unit = unit;
        }

        Instant start(Instant minute) {
            return minute.truncatedTo(unit);
        }
    }

    /** A range holds more buckets than a caller may be answered with at once; a coarser granularity holds fewer. */
    public static final class TooManyBuckets extends RuntimeException {
        TooManyBuckets(int max) {
            super("more than " + max + " buckets");
        }
    }

    /** What key detail shows of a key's usage. */
    public record Summary(Instant lastUsedAt, Map<String, Long> admittedByMonth) {
    }

    @EventHandler
    void on(ApiKeyUsageRecordedEvent event) {
        BatchingUnitOfWork<?> batch = batch();
        Writes writes = batch == null ? new Writes() : batch.getOrComputeResource(PENDING, name -> pendingIn(batch));
        Map<Instant, List<UsageCount>> byMinute = new LinkedHashMap<>();
        Map<String, Long> admittedByMonth = new LinkedHashMap<>();
        for (UsageCount count : event.counts()) {
            byMinute.computeIfAbsent(count.minute(), minute -> new ArrayList<>()).add(count);
            if (ADMITTED.contains(count.outcome())) {
                admittedByMonth.merge(month(count.minute()), count.count(), Long::sum);
            }
        }
        Instant kept = retention.horizon();
        byMinute.forEach((minute, counts) -> {
            if (minute.isBefore(kept)) {
                // Past the retention: a replay or a late report would bring back what the sweep dropped.
                return;
            }
            Update update = new Update().set("keyId", event.keyId()).set("minute", minute);
            // Summed first: of two incs of one field an Update keeps the last (an event whose times were upcast into
            // bounds can hold two counts of one minute, endpoint and outcome).
            Map<String, Long> byField = new LinkedHashMap<>();
            counts.forEach(count -> byField.merge("counts." + field(count.endpoint() + "|" + count.outcome()),
                    count.count(), Long::sum));
            byField.forEach(update::inc);
            writes.minutes().add(once(minuteId(event.keyId(), minute), event, update));
        });
        Map<String, Update> byMonth = new LinkedHashMap<>();
        admittedByMonth.forEach((month, admitted) ->
                monthUpdate(byMonth, event.keyId(), month).inc("admitted", admitted));
        if (event.lastUsedAt() != null) {
            monthUpdate(byMonth, event.keyId(), month(event.lastUsedAt())).max("lastUsedAt", event.lastUsedAt());
        }
        byMonth.forEach((month, update) -> writes.months().add(once(monthId(event.keyId(), month), event, update)));
        if (batch == null || lastOfBatch(batch)) {
            upsertAll(MINUTES, writes.minutes());
            upsertAll(MONTHS, writes.months());
            writes.minutes().clear();
            writes.months().clear();
        }
    }

    private static Update monthUpdate(Map<String, Update> byMonth, String keyId, String month) {
        return byMonth.computeIfAbsent(month, m -> newMonth(keyId, m));
    }

    private static Update newMonth(String keyId, String month) {
        return new Update().set("keyId", keyId).set("month", month);
    }

    /** Upserts that wait for the batch's last usage event, so that a batch of events costs two round trips. */
    private record Writes(List<Upsert> minutes, List<Upsert> months) {
        Writes() {
            this(new ArrayList<>(), new ArrayList<>());
        }
    }

    private record Upsert(String id, Query query, Update update) {
    }

    /**
     * The batch's writes, checked when it ends: a batch that commits with writes left would have its token stored
     * without them, which only a handler skipped for the batch's last usage event could cause.
     */
    private static Writes pendingIn(BatchingUnitOfWork<?> batch) {
        Writes writes = new Writes();
        batch.onCleanup(done -> {
            if (!done.isRolledBack() && !(writes.minutes().isEmpty() && writes.months().isEmpty())) {
                log.error("Usage writes of {} documents were not made before the batch ended; replay the {} "
                        + "processor to restore them", writes.minutes().size() + writes.months().size(), GROUP);
            }
        });
        return writes;
    }

    /** The event processor's batch being handled (tracking and subscribing processors both batch); null outside. */
    private static BatchingUnitOfWork<?> batch() {
        return CurrentUnitOfWork.isStarted() && CurrentUnitOfWork.get() instanceof BatchingUnitOfWork<?> batch
                ? batch : null;
    }

    /**
     * True unless a later event of the batch is a usage event. The writes must reach the store while the batch's last
     * one is handled: Axon stores the processor's token as the batch commits, before anything this handler could
     * register, and a crash between the two would lose them.
     */
    private static boolean lastOfBatch(BatchingUnitOfWork<?> batch) {
        List<? extends Message<?>> messages = batch.getMessages();
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).getPayloadType() == ApiKeyUsageRecordedEvent.class) {
                return messages.get(i) == batch.getMessage();
            }
        }
        return true;
    }

    /**
     * {@code update}, with this edge's report as the document's last, unless the document has that report or a later
     * one from the edge already. A conditional upsert, so that two query sides handing a segment over, or a
     * redelivery racing the first delivery, cannot both apply a report: the loser's upsert matches nothing and its
     * insert collides with the document the winner wrote.
     */
    private static Upsert once(String id, ApiKeyUsageRecordedEvent event, Update update) {
        String applied = "applied." + field(event.edgeId());
        return new Upsert(id, query(where("_id").is(id).and(applied).not().gte(event.batchSequence())),
                update.set(applied, event.batchSequence()));
    }

    /**
     * Applies {@code upserts} in their order, in one ordered bulk write; a duplicate key is an update applied already.
     * The embedded store goes on past such an error; MongoDB stops at it, and the rest then goes {@link #inRounds}, so
     * that a batch delivered again, every upsert of which collides, is not sent again once per upsert.
     */
    private void upsertAll(String collection, List<Upsert> upserts) {
        if (upserts.isEmpty()) {
            return;
        }
        BulkOperationException collided = write(collection, BulkOperations.BulkMode.ORDERED, upserts);
        // Each upsert names one document by _id: it matched it, inserted it, or collided.
        if (collided != null && collided.getResult().getMatchedCount() + collided.getResult().getUpserts().size()
                + collided.getErrors().size() < upserts.size()) {
            int stoppedAt = collided.getErrors().stream().mapToInt(BulkWriteError::getIndex).max().orElseThrow();
            inRounds(collection, upserts.subList(stoppedAt + 1, upserts.size()));
        }
    }

    /**
     * Rounds of one upsert per document, each an unordered bulk write that a duplicate key does not stop; a
     * document's upserts stay in their order.
     */
    private void inRounds(String collection, List<Upsert> upserts) {
        List<List<Upsert>> rounds = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (Upsert upsert : upserts) {
            int round = seen.merge(upsert.id(), 1, Integer::sum) - 1;
            if (round == rounds.size()) {
                rounds.add(new ArrayList<>());
            }
            rounds.get(round).add(upsert);
        }
        rounds.forEach(round -> write(collection, BulkOperations.BulkMode.UNORDERED, round));
    }

    /** One bulk write; null, or the report of the duplicate keys it met (any other error is thrown). */
    private BulkOperationException write(String collection, BulkOperations.BulkMode mode, List<Upsert> upserts) {
        BulkOperations bulk = mongo.bulkOps(mode, collection);
        upserts.forEach(upsert -> bulk.upsert(upsert.query(), upsert.update()));
        try {
            bulk.execute();
            return null;
        } catch (BulkOperationException e) {
            if (e.getErrors().stream().anyMatch(error -> error.getCategory() != ErrorCategory.DUPLICATE_KEY)) {
                throw e;
            }
            return e;
        }
    }

    /** The first minute whose counts are kept ({@link UsageRetention}). */
    public Instant retainedFrom() {
        return retention.horizon();
    }

    /**
     * A key's counts in the minutes that overlap {@code from} (inclusive) to {@code to} (exclusive), added up by
     * {@code granularity}, oldest first, then by endpoint and outcome; a first or last period partly outside the
     * range counts only its minutes inside. Reading stops with {@link TooManyBuckets} once there are more than
     * {@code maxBuckets}, so a request cannot exhaust this side's heap; the minutes are read a day at a time, as the
     * embedded store collects a query's whole answer in memory before it returns any of it.
     */
    public List<Bucket> buckets(String keyId, Instant from, Instant to, Granularity granularity, int maxBuckets) {
        Instant end = to.truncatedTo(ChronoUnit.MINUTES);
        Instant last = end.equals(to) ? end : end.plusSeconds(60);
        Map<Bucket, Long> totals = new TreeMap<>(ORDER);
        for (Instant day = from; day.isBefore(last); day = day.plus(1, ChronoUnit.DAYS)) {
            Instant next = day.plus(1, ChronoUnit.DAYS);
            Query window = query(where("_id").gte(minuteId(keyId, day))
                    .lt(minuteId(keyId, next.isBefore(last) ? next : last))).with(Sort.by("_id"));
            try (Stream<Document> minutes = mongo.stream(window, Document.class, MINUTES)) {
                minutes.forEach(minute -> add(minute, granularity, totals, maxBuckets));
            }
        }
        List<Bucket> buckets = new ArrayList<>(totals.size());
        totals.forEach((slot, count) -> buckets.add(new Bucket(slot.start(), slot.endpoint(), slot.outcome(), count)));
        return buckets;
    }

    private static void add(Document minute, Granularity granularity, Map<Bucket, Long> totals, int maxBuckets) {
        Instant start = granularity.start(minute.getDate("minute").toInstant());
        minute.get("counts", Document.class).forEach((name, count) -> {
            String decoded = unfield(name);
            int split = decoded.lastIndexOf('|');
            totals.merge(new Bucket(start, decoded.substring(0, split), decoded.substring(split + 1), 0),
                    ((Number) count).longValue(), Long::sum);
        });
        if (totals.size() > maxBuckets) {
            throw new TooManyBuckets(maxBuckets);
        }
    }

    public Optional<Summary> summary(String keyId) {
        // "}" follows "|": the range holds this key's months and no other key's.
        Query months = query(where("_id").gt(monthId(keyId, "")).lt(keyId + "}"));
        // Not the edges' last reports, which a month moved from a summary holds for every edge that ever reported.
        months.fields().include("month", "admitted", "movedAdmitted", "lastUsedAt");
        List<Document> found = mongo.find(months, Document.class, MONTHS);
        Map<String, Long> admitted = new TreeMap<>();
        Instant last = null;
        for (Document month : found) {
            long count = count(month, "admitted") + count(month, "movedAdmitted");
            if (count > 0) {
                admitted.put(month.getString("month"), count);
            }
            last = later(last, month.getDate("lastUsedAt"));
        }
        return found.isEmpty() ? Optional.empty() : Optional.of(new Summary(last, admitted));
    }

    private static long count(Document month, String field) {
        Number count = month.get(field, Number.class);
        return count == null ? 0 : count.longValue();
    }

    private static Instant later(Instant last, Date other) {
        return other == null || last != null && !other.toInstant().isAfter(last) ? last : other.toInstant();
    }

    static String month(Instant at) {
        return YearMonth.from(at.atZone(ZoneOffset.UTC)).toString();
    }

    private static String monthId(String keyId, String month) {
        return keyId + "|" + month;
    }

    /** Zero-padded epoch minutes, so that ids sort by time within a key. */
    static String minuteId(String keyId, Instant minute) {
        return keyId + "|" + String.format("%012d", Math.floorDiv(minute.getEpochSecond(), 60));
    }

    /** Field names may not contain dots or start with {@code $}: endpoints and edge ids are escaped. */
    private static String field(String name) {
        return name.replace("%", "%25").replace(".", "%2E").replace("$", "%24");
    }

    private static String unfield(String name) {
        return name.replace("%24", "$").replace("%2E", ".").replace("%25", "%");
    }
}
