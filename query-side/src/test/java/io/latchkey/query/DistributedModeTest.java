package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.support.events.EventWindows;
import io.latchkey.testing.LoopbackPorts;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.axonframework.eventhandling.DomainEventMessage;
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
    static final AxonServerContainer AXON_SERVER = new AxonServerContainer().withDevMode(true);
    @Container
    static final MongoDBContainer MONGO = new MongoDBContainer("mongo:7.0");

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
