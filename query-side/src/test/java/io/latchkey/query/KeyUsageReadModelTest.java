package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyQuotaChangedEvent;
import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.api.UsageCount;
import io.latchkey.testing.MonthTurn;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.messaging.unitofwork.BatchingUnitOfWork;
import org.axonframework.messaging.unitofwork.RollbackConfigurationType;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.query.Update;

/** Usage reports folded into the usage read model, against the real embedded store, read over HTTP. */
class KeyUsageReadModelTest extends QuerySideTestSupport {

    private static final Duration PROJECTED = Duration.ofSeconds(10);

    @Autowired
    KeyUsageProjection usageProjection;

    @Autowired
    MeterRegistry meters;

    @Autowired
    MongoTemplate mongo;

    private IssuedKey createKey() {
        String developerId = UUID.randomUUID().toString();
        append("DeveloperAccount", developerId, 0,
                new DeveloperRegisteredEvent(developerId, "Usage", "usage@example.com", now()));
        IssuedKey key = IssuedKey.issue(developerId);
        appendKeyEvent(key.keyId(), 0, new ApiKeyCreatedEvent(key.keyId(), developerId, "metered", key.secretHash(),
                "lk_test_…used", List.of("read"), now(), null, null));
        return key;
    }

    private void report(String keyId, long streamSequence, String edgeId, long batch, Instant lastUsedAt,
                        UsageCount... counts) {
        append("KeyUsage", "usage:" + keyId, streamSequence,
                new ApiKeyUsageRecordedEvent(keyId, edgeId, batch, List.of(counts), lastUsedAt, now()));
    }

    private JsonNode awaitTotal(String keyId, String outcome, long total) {
        try {
            await().atMost(PROJECTED).until(() -> get("/v1/keys/" + keyId + "/usage").body().path("totals")
                    .path(outcome).asLong() == total);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("expected " + outcome + " = " + total + " in "
                    + get("/v1/keys/" + keyId + "/usage").raw(), e);
        }
        return get("/v1/keys/" + keyId + "/usage").body();
    }

    @Test
    void aUsageAnswerSaysFromWhenCountsAreKept() {
        String keyId = createKey().keyId();
        await().until(() -> get("/v1/keys/" + keyId + "/usage").status() == 200);

        Instant asked = Instant.now();
        Instant retainedFrom = Instant.parse(get("/v1/keys/" + keyId + "/usage").body().get("retainedFrom")
                .asText());
        Instant answered = Instant.now();

        assertThat(retainedFrom).isBetween(asked.minus(RETENTION).minus(Duration.ofMinutes(1)),
                answered.minus(RETENTION));
    }

    @Test
    void aUsageRangeWithoutAnEndEndsNowToTheMillisecond() {
        String keyId = createKey().keyId();
        await().until(() -> get("/v1/keys/" + keyId + "/usage").status() == 200);

        for (int i = 0; i < 3; i++) {
            Instant to = Instant.parse(get("/v1/keys/" + keyId + "/usage").body().get("to").asText());
            assertThat(to).isEqualTo(to.truncatedTo(ChronoUnit.MILLIS));
        }
    }

    @Test
    void reportsFromSeveralEdgesAddUpByMinuteEndpointAndOutcome() {
        IssuedKey key = createKey();
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        report(key.keyId(), 0, "edge-a", 1, minute.plusSeconds(5),
                new UsageCount(minute, "/orders/{id}", "valid", 7),
                new UsageCount(minute, "/orders/{id}", "insufficient_scope", 2),
                new UsageCount(minute.minusSeconds(60), "/v1.2/orders", "valid", 1));
        report(key.keyId(), 1, "edge-b", 1, minute.plusSeconds(9), new UsageCount(minute, "/orders/{id}", "valid", 3));

        JsonNode usage = awaitTotal(key.keyId(), "valid", 11);

        assertThat(usage.get("totals").get("insufficient_scope").asLong()).isEqualTo(2);
        assertThat(usage.get("lastUsedAt").asText()).isEqualTo(minute.plusSeconds(9).toString());
        JsonNode first = usage.get("buckets").get(0);
        assertThat(first.get("start").asText()).isEqualTo(minute.minusSeconds(60).toString());
        assertThat(first.get("endpoint").asText()).isEqualTo("/v1.2/orders");
        assertThat(usage.get("buckets")).hasSize(3);
        JsonNode key1 = get("/v1/keys/" + key.keyId()).body();
        assertThat(key1.get("lastUsedAt").asText()).isEqualTo(minute.plusSeconds(9).toString());
    }

    /** Answers to requests no key was found for are counted apart from every key, and the operator reads them. */
    @Test
    void theOperatorReadsTheTrafficNoKeyWasFoundForByEndpointAndOutcome() {
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        String endpoint = "/guessed-" + UUID.randomUUID();
        String unknown = ApiKeyUsageRecordedEvent.UNKNOWN_KEY;
        report(unknown, 0, "edge-guessed", 1, null, new UsageCount(minute, endpoint, "not_found", 5),
                new UsageCount(minute, endpoint, "malformed", 2));
        String path = "/v1/usage/unattributed?from=" + minute.minusSeconds(60) + "&to=" + minute.plusSeconds(60);

        await().atMost(PROJECTED).until(() -> endpointTotal(get(path).body(), endpoint) == 7);

        Response answer = get(path);
        assertThat(answer.body().get("keyId").asText()).isEqualTo(unknown);
        assertThat(answer.body().get("buckets")).filteredOn(bucket -> bucket.get("endpoint").asText().equals(endpoint))
                .extracting(bucket -> bucket.get("outcome").asText() + "=" + bucket.get("count").asLong())
                .containsExactlyInAnyOrder("not_found=5", "malformed=2");
        assertThat(get("/v1/usage/unattributed?granularity=week").status()).isEqualTo(400);
        assertThat(get("/v1/usage/unattributed?keyId=x").status()).isEqualTo(400);
        assertThat(get("/v1/keys/" + unknown + "/usage").status()).as("no key's route").isEqualTo(404);
    }

    private static long endpointTotal(JsonNode usage, String endpoint) {
        long total = 0;
        for (JsonNode bucket : usage.path("buckets")) {
            if (bucket.get("endpoint").asText().equals(endpoint)) {
                total += bucket.get("count").asLong();
            }
        }
        return total;
    }

    @Test
    void aReportStoredWithTimesBeyondWhatTheStoresHoldIsReadWithinThemAndStopsNoProjection() {
        IssuedKey far = createKey();
        IssuedKey after = createKey();
        Instant beyond = Instant.parse("+300000000-01-01T00:00:00Z");
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        // Appended as the command side took them before it bounded a report's times.
        report(far.keyId(), 0, "edge-a", 1, beyond, new UsageCount(beyond, "/", "valid", 2),
                new UsageCount(beyond.plusSeconds(60), "/", "valid", 5),
                new UsageCount(Instant.parse("-300000000-01-01T00:00:00Z"), "/", "valid", 1));
        report(after.keyId(), 0, "edge-a", 1, minute, new UsageCount(minute, "/", "valid", 3));

        awaitTotal(after.keyId(), "valid", 3);
        JsonNode last = get("/v1/keys/" + far.keyId()
                + "/usage?from=9999-12-31T00:00:00Z&to=9999-12-31T23:59:59.999Z").body();
        assertThat(last.path("totals").path("valid").asLong()).isEqualTo(7);
        assertThat(last.path("lastUsedAt").asText()).isEqualTo("9999-12-31T23:59:59.999Z");
        assertThat(get("/v1/keys/" + far.keyId() + "/usage?from=1970-01-01T00:00:00Z&to=1970-01-01T01:00:00Z")
                .body().path("totals").path("valid").asLong()).isEqualTo(1);
    }

    @Test
    void aReportThatReachesTheStoreTwiceCountsOnce() {
        IssuedKey key = createKey();
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        report(key.keyId(), 0, "edge-a", 1, minute, new UsageCount(minute, "/", "valid", 4));
        report(key.keyId(), 1, "edge-a", 1, minute, new UsageCount(minute, "/", "valid", 4));
        report(key.keyId(), 2, "edge-a", 2, minute, new UsageCount(minute, "/", "valid", 1));

        awaitTotal(key.keyId(), "valid", 5);
        await().during(Duration.ofMillis(500)).atMost(PROJECTED).until(() ->
                get("/v1/keys/" + key.keyId() + "/usage").body().path("totals").path("valid").asLong() == 5);
    }

    @Test
    void reportsReadInOneBatchAreWrittenTogetherAndEachCountsOnce() {
        IssuedKey key = createKey();
        IssuedKey other = createKey();
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        List<EventMessage<?>> events = new ArrayList<>();
        long sequence = 0;
        long otherSequence = 0;
        for (int batch = 1; batch <= 30; batch++) {
            for (String edge : List.of("edge-a", "edge-b")) {
                events.add(usageEvent(key.keyId(), sequence++, edge, batch, new UsageCount(minute, "/", "valid", 1)));
                if (batch % 10 == 0) {
                    // Delivered again within the same batch: written once.
                    events.add(usageEvent(key.keyId(), sequence++, edge, batch,
                            new UsageCount(minute, "/", "valid", 1)));
                }
            }
            events.add(usageEvent(other.keyId(), otherSequence++, "edge-a", batch,
                    new UsageCount(minute.minusSeconds(60), "/", "valid", 2), new UsageCount(minute, "/", "valid", 1)));
        }
        double writesBefore = usageWrites();

        commandSide().publish(events);

        awaitTotal(key.keyId(), "valid", 60);
        awaitTotal(other.keyId(), "valid", 90);
        await().during(Duration.ofMillis(500)).atMost(PROJECTED).until(() ->
                get("/v1/keys/" + key.keyId() + "/usage").body().path("totals").path("valid").asLong() == 60);
        assertThat(usageProjection.summary(other.keyId()).orElseThrow().admittedByMonth().values().stream()
                .mapToLong(Long::longValue).sum()).isEqualTo(90);
        // One append, read in a batch or a few: a write per batch and collection, not one per event.
        assertThat(usageWrites() - writesBefore).isLessThan(events.size() / 4.0);
    }

    /** A batch that holds a report the model took already, beside new ones: the new ones count, the old one once. */
    @Test
    void aBatchHoldingAReportTakenAlreadyCountsTheNewOnesAndTheOldOneOnce() {
        IssuedKey key = createKey();
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        report(key.keyId(), 0, "edge-a", 1, minute, new UsageCount(minute, "/", "valid", 4));
        awaitTotal(key.keyId(), "valid", 4);

        // Handed to the projection as one batch, as its processor may or may not read them.
        BatchingUnitOfWork<EventMessage<?>> batch = new BatchingUnitOfWork<>(List.of(
                usageEvent(key.keyId(), 1, "edge-a", 1, new UsageCount(minute, "/", "valid", 4)),
                usageEvent(key.keyId(), 2, "edge-b", 1, new UsageCount(minute, "/", "valid", 2)),
                usageEvent(key.keyId(), 3, "edge-c", 7, new UsageCount(minute, "/", "valid", 1))));
        batch.executeWithResult(() -> {
            usageProjection.on((ApiKeyUsageRecordedEvent) batch.getMessage().getPayload());
            return null;
        }, RollbackConfigurationType.ANY_THROWABLE);

        awaitTotal(key.keyId(), "valid", 7);
        await().during(Duration.ofMillis(500)).atMost(PROJECTED).until(() ->
                get("/v1/keys/" + key.keyId() + "/usage").body().path("totals").path("valid").asLong() == 7);
        assertThat(usageProjection.summary(key.keyId()).orElseThrow().admittedByMonth().values().stream()
                .mapToLong(Long::longValue).sum()).isEqualTo(7);
    }

    private static EventMessage<?> usageEvent(String keyId, long sequence, String edgeId, long batch,
                                              UsageCount... counts) {
        return new GenericDomainEventMessage<>("KeyUsage", "usage:" + keyId, sequence,
                new ApiKeyUsageRecordedEvent(keyId, edgeId, batch, List.of(counts), null, now()));
    }

    /** Write commands the usage model has sent to the store, from the MongoDB driver's metrics. */
    private double usageWrites() {
        return meters.find("mongodb.driver.commands").tag("command", "update").timers().stream()
                .filter(timer -> timer.getId().getTag("collection").startsWith("key-usage"))
                .mapToDouble(Timer::count).sum();
    }

    @Test
    void keyDetailShowsWhatRemainsOfTheMonthlyQuota() throws InterruptedException {
        // The query side counts the month of its system clock: the report's month must still be it when asked.
        MonthTurn.awaitClearOfMonthEnd();
        IssuedKey key = createKey();
        appendKeyEvent(key.keyId(), 1, new ApiKeyQuotaChangedEvent(key.keyId(), 100L, now()));
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        report(key.keyId(), 0, "edge-a", 1, minute, new UsageCount(minute, "/", "valid", 30),
                new UsageCount(minute, "/", "quota_exceeded", 9));

        await().atMost(PROJECTED).until(() ->
                get("/v1/keys/" + key.keyId()).body().path("quota").path("used").asLong() == 30);
        assertThat(get("/v1/keys/" + key.keyId()).body().get("quota").get("remaining").asLong()).isEqualTo(70);
    }

    /** Every edge start is a new edge id: a document that remembered every edge ever would grow for good. */
    @Test
    void aUsageDocumentRemembersOnlyTheEdgesThatReportedInItsTime() {
        IssuedKey key = createKey();
        Instant thisMonth = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        Instant lastMonth = YearMonth.from(thisMonth.atZone(ZoneOffset.UTC)).minusMonths(1).atDay(2)
                .atStartOfDay(ZoneOffset.UTC).toInstant();
        int restarts = 30;
        for (int edge = 0; edge < restarts; edge++) {
            Instant at = lastMonth.plusSeconds(60L * edge);
            report(key.keyId(), edge, "edge-" + edge, 1, at, new UsageCount(at, "/", "valid", 1));
        }
        report(key.keyId(), restarts, "edge-new", 1, thisMonth, new UsageCount(thisMonth, "/", "valid", 2));

        awaitTotal(key.keyId(), "valid", 2);
        await().atMost(PROJECTED).until(() -> usageProjection.summary(key.keyId())
                .map(summary -> summary.admittedByMonth().size() == 2).orElse(false));
        KeyUsageProjection.Summary summary = usageProjection.summary(key.keyId()).orElseThrow();
        assertThat(summary.admittedByMonth()).containsExactly(
                Map.entry(KeyUsageProjection.month(lastMonth), (long) restarts),
                Map.entry(KeyUsageProjection.month(thisMonth), 2L));
        assertThat(summary.lastUsedAt()).isEqualTo(thisMonth);
        Map<String, Integer> edgesByDocument = new TreeMap<>();
        for (String collection : mongo.getCollectionNames()) {
            if (collection.startsWith("key-usage")) {
                mongo.find(query(where("keyId").is(key.keyId())), Document.class, collection).forEach(document ->
                        edgesByDocument.put(collection + " " + document.get("_id"),
                                document.get("applied", Document.class).size()));
            }
        }
        String months = KeyUsageProjection.MONTHS + " " + key.keyId() + "|";
        assertThat(edgesByDocument).as("a document per minute and per month").hasSize(restarts + 1 + 2)
                .containsEntry(months + KeyUsageProjection.month(lastMonth), restarts)
                .containsEntry(months + KeyUsageProjection.month(thisMonth), 1);
    }

    @Test
    void summariesWrittenBeforeTheMonthsMoveIntoThemAndAReplayCountsNothingTwice() throws InterruptedException {
        // The quota's use is read for the month of the query side's clock: the usage's month must still be it.
        MonthTurn.awaitClearOfMonthEnd();
        IssuedKey key = createKey();
        appendKeyEvent(key.keyId(), 1, new ApiKeyQuotaChangedEvent(key.keyId(), 100L, now()));
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        String month = KeyUsageProjection.month(minute);
        // As the projection wrote a key's usage before it wrote a document per month.
        mongo.insert(new Document("_id", key.keyId()).append("keyId", key.keyId())
                .append("lastUsedAt", Date.from(minute.plusSeconds(30)))
                .append("admitted", new Document(month, 5L)).append("applied", new Document("edge-old", 4L)),
                KeyUsageProjection.SUMMARIES);
        usageProjection.moveSummaries();
        report(key.keyId(), 0, "edge-new", 1, minute.plusSeconds(10), new UsageCount(minute, "/", "valid", 3));
        await().atMost(PROJECTED).until(() ->
                get("/v1/keys/" + key.keyId()).body().path("quota").path("used").asLong() == 8);

        // The report the summary had counted, handled again as a replay of the processor would.
        usageProjection.on(new ApiKeyUsageRecordedEvent(key.keyId(), "edge-old", 4,
                List.of(new UsageCount(minute, "/", "valid", 5)), minute.plusSeconds(30), now()));
        usageProjection.moveSummaries();
        assertThat(usageProjection.summary(key.keyId()).orElseThrow())
                .isEqualTo(new KeyUsageProjection.Summary(minute.plusSeconds(30), Map.of(month, 8L)));

        // A query side of the previous release, still running during the upgrade, adds a report as it did.
        mongo.updateFirst(query(where("_id").is(key.keyId()).and("applied.edge-old").not().gte(5L)),
                new Update().inc("admitted." + month, 7L).set("applied.edge-old", 5L),
                KeyUsageProjection.SUMMARIES);
        usageProjection.moveSummaries();

        assertThat(usageProjection.summary(key.keyId()).orElseThrow())
                .isEqualTo(new KeyUsageProjection.Summary(minute.plusSeconds(30), Map.of(month, 15L)));
        assertThat(get("/v1/keys/" + key.keyId()).body().get("quota").get("used").asLong()).isEqualTo(15);
        assertThat(get("/v1/keys/" + key.keyId()).body().get("lastUsedAt").asText())
                .isEqualTo(minute.plusSeconds(30).toString());
    }

    @Test
    void theAuditViewInterleavesManagementAndUsageEvents() {
        IssuedKey key = createKey();
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        report(key.keyId(), 0, "edge-a", 1, minute, new UsageCount(minute, "/", "valid", 1));
        awaitTotal(key.keyId(), "valid", 1);

        JsonNode all = get("/v1/keys/" + key.keyId() + "/history").body().get("events");
        JsonNode managementOnly = get("/v1/keys/" + key.keyId() + "/history?stream=key").body().get("events");
        JsonNode usageOnly = get("/v1/keys/" + key.keyId() + "/history?stream=usage").body().get("events");

        assertThat(all).hasSize(2);
        assertThat(all.get(0).get("type").asText()).isEqualTo("ApiKeyCreatedEvent");
        assertThat(all.get(1).get("type").asText()).isEqualTo("ApiKeyUsageRecordedEvent");
        assertThat(all.get(1).get("stream").asText()).isEqualTo("usage");
        assertThat(managementOnly).hasSize(1);
        assertThat(usageOnly).hasSize(1);
        assertThat(get("/v1/keys/" + key.keyId() + "/history?stream=nope").status()).isEqualTo(400);
    }

    @Test
    void usageRangesAreCheckedAndUnknownKeysAreNotFound() {
        IssuedKey key = createKey();
        await().atMost(PROJECTED).until(() -> get("/v1/keys/" + key.keyId()).status() == 200);
        String usage = "/v1/keys/" + key.keyId() + "/usage";
        assertThat(get(usage + "?from=yesterday").status()).isEqualTo(400);
        assertThat(get(usage + "?from=&to=2026-12-07").body().get("detail").asText())
                .startsWith("from and to must be ISO-8601 instants");
        assertThat(get(usage + "?to=-1000000000-01-01T00:00:00Z").status()).isEqualTo(400);
        assertThat(get(usage + "?from=%2B1000000000-12-30T00:00:00Z&to=%2B1000000000-12-31T23:59:30Z").status())
                .isEqualTo(400);
        assertThat(get(usage + "?to=1969-12-31T23:59:59Z").status()).isEqualTo(400);
        assertThat(get(usage + "?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z").status()).isEqualTo(422);
        assertThat(get(usage + "?from=2030-01-01T00:00:00Z&to=2030-03-01T00:00:00Z").status()).isEqualTo(422);
        assertThat(get(usage + "?from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z").body().get("buckets"))
                .isEmpty();
        assertThat(get(usage + "?from=2030-01-01T00:00:00Z&to=2030-03-01T00:00:00Z&granularity=hour").status())
                .isEqualTo(200);
        assertThat(get(usage + "?from=2030-01-01T00:00:00Z&to=2031-01-03T00:00:00Z&granularity=day").status())
                .isEqualTo(422);
        for (String granularity : List.of("week", "MINUTE", "minutes", "hour,day", "")) {
            Response response = get(usage + "?granularity=" + granularity);
            assertThat(response.status()).as(granularity).isEqualTo(400);
            assertThat(response.body().get("type").asText()).endsWith("/invalid-granularity");
        }
        assertThat(get("/v1/keys/" + UUID.randomUUID() + "/usage").status()).isEqualTo(404);

        // A range whose defaulted end is not what it seems is explained, not answered from 1969.
        Response future = get(usage + "?from=2999-01-01T00:00:00Z");
        assertThat(future.status()).isEqualTo(422);
        assertThat(future.body().get("detail").asText()).endsWith("; to is now when not given.");
        Response epoch = get(usage + "?to=1970-01-01T00:30:00Z");
        assertThat(epoch.status()).as(epoch.raw()).isEqualTo(200);
        assertThat(epoch.body().get("from").asText()).isEqualTo("1970-01-01T00:00:00Z");
        assertThat(get(usage + "?to=1970-01-01T00:00:00Z").body().get("detail").asText())
                .endsWith("; from is an hour before to, and not before 1970, when not given.");
        // A misspelt parameter would otherwise answer about the last hour.
        for (String path : List.of(usage + "?start=2030-01-01T00:00:00Z", usage + "?from=2030-01-01T00:00:00Z&To=x",
                "/v1/keys/" + key.keyId() + "/history?Stream=key",
                "/v1/keys/" + key.keyId() + "?asof=2030-01-01T00:00:00Z",
                "/v1/keys/" + key.keyId() + "?asOf=2030-01-01T00:00:00Z&stream=key",
                "/v1/keys/" + key.keyId() + "/propagation?wait=1&version=3",
                "/v1/developers/" + UUID.randomUUID() + "?limit=3")) {
            Response unknown = get(path);
            assertThat(unknown.status()).as(path).isEqualTo(400);
            assertThat(unknown.body().get("type").asText()).endsWith("/unknown-parameter");
        }
    }

    @Test
    void hourAndDayBucketsAddUpTheMinutesInsideTheRange() {
        IssuedKey key = createKey();
        Instant day = Instant.parse("2026-11-02T00:00:00Z");
        report(key.keyId(), 0, "edge-a", 1, day.plusSeconds(86_400 + 1_800),
                new UsageCount(day.plusSeconds(9 * 3_600 + 59 * 60), "/a", "valid", 100),
                new UsageCount(day.plusSeconds(10 * 3_600 + 5 * 60), "/a", "valid", 1),
                new UsageCount(day.plusSeconds(10 * 3_600 + 59 * 60), "/a", "valid", 2),
                new UsageCount(day.plusSeconds(10 * 3_600 + 59 * 60), "/a", "revoked", 5),
                new UsageCount(day.plusSeconds(11 * 3_600), "/a", "valid", 4),
                new UsageCount(day.plusSeconds(86_400 + 1_800), "/b", "valid", 8),
                // Either side of the boundary between the first and second day read.
                new UsageCount(day.plusSeconds(86_400 + 10 * 3_600 - 60), "/b", "valid", 16),
                new UsageCount(day.plusSeconds(86_400 + 10 * 3_600), "/b", "valid", 32));
        String range = "/v1/keys/" + key.keyId() + "/usage?from=" + day.plusSeconds(10 * 3_600) + "&to="
                + day.plusSeconds(2 * 86_400);
        await().atMost(PROJECTED).until(() -> get(range).body().path("totals").path("valid").asLong() == 63);

        assertThat(buckets(get(range + "&granularity=minute").body())).containsExactly(
                "2026-11-02T10:05:00Z /a valid 1", "2026-11-02T10:59:00Z /a revoked 5",
                "2026-11-02T10:59:00Z /a valid 2", "2026-11-02T11:00:00Z /a valid 4",
                "2026-11-03T00:30:00Z /b valid 8", "2026-11-03T09:59:00Z /b valid 16",
                "2026-11-03T10:00:00Z /b valid 32");
        JsonNode hours = get(range + "&granularity=hour").body();
        assertThat(hours.get("granularity").asText()).isEqualTo("hour");
        assertThat(buckets(hours)).containsExactly("2026-11-02T10:00:00Z /a revoked 5",
                "2026-11-02T10:00:00Z /a valid 3", "2026-11-02T11:00:00Z /a valid 4",
                "2026-11-03T00:00:00Z /b valid 8", "2026-11-03T09:00:00Z /b valid 16",
                "2026-11-03T10:00:00Z /b valid 32");
        JsonNode days = get(range + "&granularity=day").body();
        assertThat(buckets(days)).containsExactly("2026-11-02T00:00:00Z /a revoked 5",
                "2026-11-02T00:00:00Z /a valid 7", "2026-11-03T00:00:00Z /b valid 56");
        assertThat(days.get("totals")).isEqualTo(hours.get("totals"));
    }

    @Test
    void aRangeWithMoreBucketsThanAllowedAsksForCoarserOnes() {
        IssuedKey key = createKey();
        Instant start = Instant.parse("2026-10-01T00:00:00Z");
        UsageCount[] counts = new UsageCount[MAX_BUCKETS + 1];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new UsageCount(start.plusSeconds(60L * i), "/", "valid", 1);
        }
        report(key.keyId(), 0, "edge-a", 1, start, counts);
        String range = "/v1/keys/" + key.keyId() + "/usage?from=" + start + "&to=" + start.plusSeconds(86_400);
        await().atMost(PROJECTED).until(() -> get(range + "&granularity=day").body().path("totals").path("valid")
                .asLong() == counts.length);

        Response minutes = get(range);
        assertThat(minutes.status()).isEqualTo(422);
        assertThat(minutes.body().get("type").asText()).endsWith("/too-many-buckets");
        assertThat(get(range + "&granularity=hour").body().get("buckets")).hasSize(9);
        String allowed = "/v1/keys/" + key.keyId() + "/usage?from=" + start + "&to="
                + start.plusSeconds(60L * MAX_BUCKETS);
        assertThat(get(allowed).body().get("buckets")).as("exactly the maximum").hasSize(MAX_BUCKETS);
    }

    @Test
    void aReportAppliedTwiceAtOnceCountsOnce() throws Exception {
        IssuedKey key = createKey();
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        int reports = 40;
        ExecutorService twoQuerySides = Executors.newFixedThreadPool(2);
        try {
            for (int batch = 1; batch <= reports; batch++) {
                ApiKeyUsageRecordedEvent event = new ApiKeyUsageRecordedEvent(key.keyId(), "edge-a", batch,
                        List.of(new UsageCount(minute, "/", "valid", 1)), minute, now());
                CyclicBarrier together = new CyclicBarrier(2);
                Callable<Void> apply = () -> {
                    together.await();
                    usageProjection.on(event);
                    return null;
                };
                for (Future<Void> done : twoQuerySides.invokeAll(List.of(apply, apply))) {
                    done.get(10, TimeUnit.SECONDS);
                }
            }
        } finally {
            twoQuerySides.shutdownNow();
        }

        JsonNode usage = get("/v1/keys/" + key.keyId() + "/usage").body();
        assertThat(usage.get("totals").get("valid").asLong()).isEqualTo(reports);
        assertThat(usageProjection.summary(key.keyId()).orElseThrow().admittedByMonth())
                .containsExactly(Map.entry(KeyUsageProjection.month(minute), (long) reports));
    }

    private static List<String> buckets(JsonNode usage) {
        List<String> buckets = new ArrayList<>();
        usage.get("buckets").forEach(bucket -> buckets.add(bucket.get("start").asText() + " "
                + bucket.get("endpoint").asText() + " " + bucket.get("outcome").asText() + " "
                + bucket.get("count").asLong()));
        return buckets;
    }
}
