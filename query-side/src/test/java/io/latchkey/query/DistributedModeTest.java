package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.api.UsageCount;
import io.latchkey.support.events.EventWindows;
import io.latchkey.testing.LoopbackPorts;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.messaging.MetaData;
import org.axonframework.test.server.AxonServerContainer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.testcontainers.containers.MongoDBContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/** Distributed mode: events from Axon Server, read models in MongoDB. Skipped where there is no Docker. */
@Testcontainers(disabledWithoutDocker = true)
@SpringBootTest(properties = {
        "axon.axonserver.enabled=true",
        "spring.application.name=query-side-distributed-test",
        "latchkey.operator-token=distributed-test-operator-token"})
class DistributedModeTest {

    @Container
    static final AxonServerContainer AXON_SERVER =
            new AxonServerContainer("axoniq/axonserver:2024.2.4-jdk-17").withDevMode(true);
    @Container
    static final MongoDBContainer MONGO = new MongoDBContainer("mongo:7");

    @DynamicPropertySource
    static void distributed(DynamicPropertyRegistry registry) {
        int hazelcastPort = LoopbackPorts.free();
        registry.add("axon.axonserver.servers", AXON_SERVER::getAxonServerAddress);
        registry.add("spring.data.mongodb.uri", () -> MONGO.getReplicaSetUrl("latchkey"));
        registry.add("latchkey.hazelcast.cluster-name", () -> "qs-distributed-" + UUID.randomUUID());
        registry.add("latchkey.hazelcast.port", () -> hazelcastPort);
        registry.add("latchkey.hazelcast.members", () -> "127.0.0.1:" + hazelcastPort);
    }

    @Autowired
    EventStore eventStore;
    @Autowired
    DeveloperProjection developers;
    @Autowired
    EventWindows windows;
    @Autowired
    KeyUsageProjection usage;

    @Test
    void eventFromAxonServerIsProjectedIntoMongo() {
        String developerId = UUID.randomUUID().toString();
        eventStore.publish(new GenericDomainEventMessage<>("DeveloperAccount", developerId, 0,
                new DeveloperRegisteredEvent(developerId, "Ada", "ada@example.com", Instant.now()),
                MetaData.from(Map.of("actor", "operator", "requestId", "r-1", "sourceAddress", "127.0.0.1"))));

        await().atMost(Duration.ofSeconds(30)).until(() -> developers.find(developerId).isPresent());
        assertThat(developers.find(developerId).orElseThrow().name()).isEqualTo("Ada");
    }

    @Test
    void reportsDeliveredTwiceInOneBatchCountOnceInMongo() {
        // MongoDB stops an ordered bulk write at its first duplicate key, where the embedded store goes on.
        String keyId = UUID.randomUUID().toString();
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        List<EventMessage<?>> events = new ArrayList<>();
        long sequence = 0;
        for (int batch = 1; batch <= 20; batch++) {
            for (int copy = 0; copy < (batch % 5 == 0 ? 3 : 1); copy++) {
                events.add(new GenericDomainEventMessage<>("KeyUsage", "usage:" + keyId, sequence++,
                        new ApiKeyUsageRecordedEvent(keyId, "edge-a", batch,
                                List.of(new UsageCount(minute, "/", "valid", 1)), minute, Instant.now()),
                        MetaData.from(Map.of("actor", "operator", "requestId", "u-" + batch,
                                "sourceAddress", "127.0.0.1"))));
            }
        }
        eventStore.publish(events);

        await().atMost(Duration.ofSeconds(30)).until(() -> usage.summary(keyId)
                .map(summary -> summary.admittedByMonth().getOrDefault(KeyUsageProjection.month(minute), 0L))
                .orElse(0L) == 20L);
        assertThat(usage.buckets(keyId, minute, minute.plusSeconds(60), KeyUsageProjection.Granularity.MINUTE, 10))
                .singleElement().extracting(KeyUsageProjection.Bucket::count).isEqualTo(20L);
    }

    @Test
    void aWindowOfAnAggregatesEventsIsReadFromAxonServerWithItsMetadata() {
        String developerId = UUID.randomUUID().toString();
        for (int sequence = 0; sequence < 5; sequence++) {
            eventStore.publish(new GenericDomainEventMessage<>("DeveloperAccount", developerId, sequence,
                    new DeveloperRegisteredEvent(developerId, "Ada " + sequence, "ada@example.com", Instant.now()),
                    MetaData.from(Map.of("actor", "operator", "requestId", "r-" + sequence,
                            "sourceAddress", "127.0.0.1"))));
        }

        assertThat(windows.read(developerId, 1, 2)).extracting(DomainEventMessage::getSequenceNumber)
                .containsExactly(1L, 2L);
        assertThat(windows.read(developerId, 3, 10)).extracting(DomainEventMessage::getSequenceNumber)
                .containsExactly(3L, 4L);
        assertThat(windows.read(developerId, 0, 1)).singleElement().satisfies(event -> {
            assertThat(((DeveloperRegisteredEvent) event.getPayload()).name()).isEqualTo("Ada 0");
            assertThat(event.getMetaData()).containsEntry("actor", "operator").containsEntry("requestId", "r-0");
        });
        assertThat(windows.read(developerId, 5, 3)).isEmpty();
    }
}
