package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.api.UsageCount;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.MongoTemplate;

/**
 * The usage read model keeps a key's minutes for the usage retention and its months for good, against the real
 * embedded store. The retentions here are the tests' own, on the running query side's store: its own is a century.
 */
class KeyUsageRetentionTest extends QuerySideTestSupport {

    private static final Duration THIRTY_DAYS = Duration.ofDays(30);

    @Autowired
    MongoTemplate mongo;

    private final Instant now = Instant.now().truncatedTo(ChronoUnit.MINUTES);

    private UsageRetention retention(Duration kept) {
        return new UsageRetention(mongo, Clock.systemUTC(), kept);
    }

    private static ApiKeyUsageRecordedEvent report(String keyId, UsageCount... counts) {
        return new ApiKeyUsageRecordedEvent(keyId, "edge-" + UUID.randomUUID(), 1, List.of(counts), null,
                Instant.now());
    }

    private static UsageCount admitted(Instant minute, long count) {
        return new UsageCount(minute, "/orders", "valid", count);
    }

    private List<Instant> minutesOf(String keyId) {
        return mongo.find(query(where("keyId").is(keyId)), Document.class, KeyUsageProjection.MINUTES).stream()
                .map(minute -> minute.getDate("minute").toInstant()).sorted().toList();
    }

    private long admittedIn(String keyId, Instant minute) {
        Document month = mongo.findOne(query(where("keyId").is(keyId).and("month")
                .is(KeyUsageProjection.month(minute))), Document.class, KeyUsageProjection.MONTHS);
        return month == null ? 0 : ((Number) month.get("admitted")).longValue();
    }

    @Test
    void minutesOlderThanTheRetentionAreNotWrittenButCountInTheirMonth() {
        String keyId = UUID.randomUUID().toString();
        Instant tooOld = now.minus(Duration.ofDays(31));
        Instant kept = now.minus(Duration.ofDays(29));

        try (UsageRetention thirtyDays = retention(THIRTY_DAYS)) {
            new KeyUsageProjection(mongo, thirtyDays)
                    .on(report(keyId, admitted(tooOld, 5), admitted(kept, 3), admitted(now, 1)));
        }

        assertThat(minutesOf(keyId)).containsExactly(kept, now);
        long sameMonth = KeyUsageProjection.month(tooOld).equals(KeyUsageProjection.month(kept)) ? 3 : 0;
        assertThat(admittedIn(keyId, tooOld)).as("the month of the dropped minute").isEqualTo(5 + sameMonth);
    }

    /**
     * Drops the old minutes of every test in the shared store, which the others assert on only right after writing
     * their own: it must not run alongside them (the classes run one at a time).
     */
    @Test
    void theSweepDropsEveryKeysMinutesBeforeItsHorizonAndKeepsTheRest() {
        // Neither is in the key read model, nor is the key of refused credentials: the sweep reads the minutes' ids.
        String keyId = UUID.randomUUID().toString();
        String otherKeyId = UUID.randomUUID().toString();
        Instant before = now.minus(THIRTY_DAYS);
        // Written under a longer retention, as before this one was set.
        try (UsageRetention longer = retention(Duration.ofDays(3_650))) {
            KeyUsageProjection projection = new KeyUsageProjection(mongo, longer);
            projection.on(report(keyId, admitted(now.minus(Duration.ofDays(400)), 1),
                    admitted(now.minus(Duration.ofDays(45)), 1), admitted(before.minus(Duration.ofMinutes(1)), 1),
                    admitted(before, 1), admitted(now, 1)));
            projection.on(report(otherKeyId, admitted(now.minus(Duration.ofDays(44)), 1), admitted(now, 1)));
            projection.on(report(ApiKeyUsageRecordedEvent.UNKNOWN_KEY, admitted(before.minus(Duration.ofDays(2)), 1),
                    admitted(now, 1)));
        }

        // Not a minute's id, which the sweep steps past.
        mongo.save(new Document("_id", "not-a-minute").append("minute", Date.from(before.minus(THIRTY_DAYS))),
                KeyUsageProjection.MINUTES);

        long dropped;
        try (UsageRetention thirtyDays = retention(THIRTY_DAYS)) {
            // Part-way through the minute the horizon falls in: that minute is kept whole.
            dropped = thirtyDays.dropBefore(before.plusSeconds(30));
            assertThat(mongo.findById("not-a-minute", Document.class, KeyUsageProjection.MINUTES)).isNotNull();
        } finally {
            mongo.remove(query(where("_id").is("not-a-minute")), KeyUsageProjection.MINUTES);
        }

        assertThat(dropped).isGreaterThanOrEqualTo(5);
        assertThat(minutesOf(keyId)).containsExactly(before, now);
        assertThat(minutesOf(otherKeyId)).containsExactly(now);
        assertThat(minutesOf(ApiKeyUsageRecordedEvent.UNKNOWN_KEY)).isNotEmpty()
                .allSatisfy(minute -> assertThat(minute).isAfterOrEqualTo(before));
        assertThat(admittedIn(keyId, now.minus(Duration.ofDays(400)))).as("months are kept").isEqualTo(1);
    }

    @Test
    void aRetentionFromADayToACenturyIsTaken() {
        for (Duration kept : List.of(Duration.ofDays(1), Duration.ofDays(36_500))) {
            try (UsageRetention retention = retention(kept)) {
                assertThat(retention.horizon()).isBetween(now.minus(kept).minus(Duration.ofMinutes(1)),
                        Instant.now().minus(kept));
            }
        }
    }

    @Test
    void aRetentionShorterThanADayOrLongerThanACenturyIsRefused() {
        for (Duration wrong : List.of(Duration.ofHours(23), Duration.ofDays(36_501), Duration.ofDays(-1))) {
            assertThatThrownBy(() -> retention(wrong)).as(wrong.toString())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("latchkey.usage.retention must be from a day to a century");
        }
    }
}
