package io.latchkey.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.api.UsageCount;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.axonframework.serialization.json.JacksonSerializer;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KeyUsageTest {

    private static final String KEY_ID = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
    private static final String USAGE_ID = KeyUsage.idOf(KEY_ID);
    private static final Instant MINUTE = Instant.parse("2030-01-01T10:15:00Z");
    private static final Instant NOW = MINUTE.plusSeconds(70);
    private static final List<UsageCount> COUNTS = List.of(new UsageCount(MINUTE, "/orders", "valid", 12),
            new UsageCount(MINUTE, "/orders", "insufficient_scope", 1));

    private AggregateTestFixture<KeyUsage> fixture;

    @BeforeEach
    void setUp() {
        fixture = new AggregateTestFixture<>(KeyUsage.class);
    }

    private static RecordKeyUsageCommand report(String edgeId, long sequence) {
        return new RecordKeyUsageCommand(USAGE_ID, KEY_ID, edgeId, sequence, COUNTS, MINUTE.plusSeconds(30), NOW);
    }

    private static ApiKeyUsageRecordedEvent recorded(String edgeId, long sequence) {
        return new ApiKeyUsageRecordedEvent(KEY_ID, edgeId, sequence, COUNTS, MINUTE.plusSeconds(30), NOW);
    }

    @Test
    void aKeysFirstReportStartsItsUsageStream() {
        fixture.givenNoPriorActivity()
                .when(report("edge-a", 1))
                .expectEvents(recorded("edge-a", 1))
                .expectResultMessagePayload(true);
    }

    @Test
    void aReportSentAgainIsRecordedOnce() {
        fixture.given(recorded("edge-a", 1))
                .when(report("edge-a", 1))
                .expectNoEvents()
                .expectResultMessagePayload(false);
    }

    @Test
    void anOlderReportOfTheSameEdgeIsIgnored() {
        fixture.given(recorded("edge-a", 1), recorded("edge-a", 2))
                .when(report("edge-a", 1))
                .expectNoEvents();
    }

    @Test
    void edgesCountTheirReportsApart() {
        fixture.given(recorded("edge-a", 5))
                .when(report("edge-b", 1))
                .expectEvents(recorded("edge-b", 1));
    }

    @Test
    void aSnapshotRemembersWhichReportsWereApplied() {
        KeyUsage usage = new KeyUsage();
        usage.on(recorded("edge-a", 7));
        JacksonSerializer serializer = JacksonSerializer.defaultSerializer();

        KeyUsage restored = serializer.deserialize(serializer.serialize(usage, byte[].class));

        assertThat(restored.handle(report("edge-a", 7))).isFalse();
        assertThat(restored.handle(report("edge-a", 6))).isFalse();
    }

    @Test
    void anEdgeUnheardOfForADayIsForgottenAndOneHeardOfWithinADayIsNot() {
        ApiKeyUsageRecordedEvent gone = new ApiKeyUsageRecordedEvent(KEY_ID, "edge-gone", 3, COUNTS, NOW, NOW);
        ApiKeyUsageRecordedEvent quiet = new ApiKeyUsageRecordedEvent(KEY_ID, "edge-quiet", 3, COUNTS, NOW,
                NOW.plus(Duration.ofHours(2)));
        Instant later = NOW.plus(KeyUsage.EDGE_MEMORY).plusSeconds(60);
        ApiKeyUsageRecordedEvent busy = new ApiKeyUsageRecordedEvent(KEY_ID, "edge-busy", 1, COUNTS, NOW, later);
        KeyUsage usage = new KeyUsage();
        usage.on(gone);
        usage.on(quiet);
        usage.on(busy);

        assertThat(usage.handle(new RecordKeyUsageCommand(USAGE_ID, KEY_ID, "edge-quiet", 3, COUNTS, NOW, later)))
                .as("a resend from an edge heard of within the day").isFalse();
        assertThat(usage).extracting("lastBatchByEdge").asInstanceOf(InstanceOfAssertFactories.MAP)
                .containsOnlyKeys("edge-quiet", "edge-busy");
    }

    @Test
    void edgesRememberedBySnapshotsMadeBeforeTheirTimesWereKeptAreDatedByTheNextReport() throws Exception {
        String snapshot = "{\"usageId\":\"" + USAGE_ID + "\",\"lastBatchByEdge\":{\"edge-old\":4}}";
        KeyUsage restored = JacksonSerializer.defaultSerializer().getObjectMapper().readValue(snapshot, KeyUsage.class);
        restored.on(recorded("edge-a", 1));
        assertThat(restored.handle(report("edge-old", 4))).isFalse();

        restored.on(new ApiKeyUsageRecordedEvent(KEY_ID, "edge-a", 2, COUNTS, NOW,
                NOW.plus(KeyUsage.EDGE_MEMORY).plusSeconds(1)));
        assertThat(restored).extracting("lastBatchByEdge").asInstanceOf(InstanceOfAssertFactories.MAP)
                .containsOnlyKeys("edge-a");
    }

    @Test
    void aReportWithoutCountsOrWithAZeroCountIsRefused() {
        fixture.givenNoPriorActivity()
                .when(new RecordKeyUsageCommand(USAGE_ID, KEY_ID, "edge-a", 1, List.of(), NOW, NOW))
                .expectException(RuleViolation.class);
        fixture.givenNoPriorActivity()
                .when(new RecordKeyUsageCommand(USAGE_ID, KEY_ID, "edge-a", 1,
                        List.of(new UsageCount(MINUTE, "/", "valid", 0)), NOW, NOW))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }
}
