package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.testing.LoopbackPorts;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
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

    @Test
    void eventFromAxonServerIsProjectedIntoMongo() {
        String developerId = UUID.randomUUID().toString();
        eventStore.publish(new GenericDomainEventMessage<>("DeveloperAccount", developerId, 0,
                new DeveloperRegisteredEvent(developerId, "Ada", "ada@example.com", Instant.now()),
                MetaData.from(Map.of("actor", "operator", "requestId", "r-1", "sourceAddress", "127.0.0.1"))));

        await().atMost(Duration.ofSeconds(30)).until(() -> developers.find(developerId).isPresent());
        assertThat(developers.find(developerId).orElseThrow().name()).isEqualTo("Ada");
    }
}
