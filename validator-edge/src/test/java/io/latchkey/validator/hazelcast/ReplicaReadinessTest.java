package io.latchkey.validator.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.spi.merge.PassThroughMergePolicy;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.LogCapture;
import io.latchkey.validator.ReplicaUnavailableException;
import io.latchkey.validator.servlet.HttpVerdict;
import io.latchkey.validator.servlet.PresentedKey;
import io.latchkey.validator.spring.ReplicaHealth;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

/**
 * Readiness is asked per request, from the gateway's event loops too: it must answer without waiting on the cluster.
 */
class ReplicaReadinessTest {

    /**
     * The caller that asks reads the published size itself, so the first (an admin key, minutes after the service
     * started on a cold cluster) finds a fresh answer, not the refusal of a read made before anything was published.
     */
    @Test
    void aReplicaIsReadyAtItsFirstAskThoughTheSizeWasPublishedAfterItWasMade() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            HazelcastInstance writerMember = cluster.startMember();
            HazelcastKeyReplica replica = HazelcastKeyReplica.of(cluster.startMember());
            Thread.sleep(300);
            ReplicaWriter.of(writerMember).publishCaughtUp(Instant.now());
            Thread.sleep(500);

            assertThat(replica.isReady()).isTrue();
        }
    }

    /** A validator given another cluster's name is alone for good: it says so, once, rather than answer 503 mutely. */
    @Test
    void aReplicaThatStaysUnreadySaysOnceWhatItsMemberSees() {
        int port = LoopbackPorts.free();
        String clusterName = "mistaken-" + UUID.randomUUID();
        HazelcastInstance alone = Hazelcast.newHazelcastInstance(new ReplicaCluster(clusterName, "127.0.0.1", port,
                List.of("127.0.0.1:" + port)).memberConfig("alone"));
        try (LogCapture log = LogCapture.of(HazelcastKeyReplica.class)) {
            List<ILoggingEvent> logged = log.events();
            HazelcastKeyReplica replica = HazelcastKeyReplica.of(alone, Duration.ofMillis(200));
            assertThat(replica.isReady()).isFalse();
            assertThat(logged).as("not before the delay").isEmpty();
            await().atMost(Duration.ofSeconds(5)).until(() -> !replica.isReady() && !logged.isEmpty());
            replica.isReady();

            assertThat(logged).hasSize(1);
            assertThat(logged.get(0).getLevel()).isEqualTo(Level.WARN);
            assertThat(logged.get(0).getFormattedMessage()).contains("'" + clusterName + "'")
                    .contains("with 1 member(s)").contains("no writer").contains("127.0.0.1:" + port);
        } finally {
            alone.shutdown();
        }
    }

    /**
     * A validator given another pepper than the command side's finds every key unknown: it decides none (503, not 401
     * for every caller) and says why, once; one with the command side's pepper is current as before.
     */
    @Test
    void aValidatorWithAnotherPepperThanTheCommandSidesDecidesNothingAndSaysWhy() throws Exception {
        try (LogCapture log = LogCapture.of("io.latchkey.validator.DefaultKeyValidator");
             TestCluster cluster = new TestCluster()) {
            List<ILoggingEvent> logged = log.events();
            HazelcastInstance writerMember = cluster.startMember();
            ReplicaWriter writer = ReplicaWriter.of(writerMember);
            cluster.keepCaughtUp(writer);
            writer.publishPepperFingerprint(KeyHasher.forPepper("the-installations-pepper").fingerprint());
            HazelcastInstance member = cluster.startMember();
            KeyValidator same = KeyValidator.builder().replica(HazelcastKeyReplica.of(member))
                    .hasher(KeyHasher.forPepper("the-installations-pepper")).build();
            KeyValidator other = KeyValidator.builder().replica(HazelcastKeyReplica.of(member))
                    .hasher(KeyHasher.forPepper("a-pepper-of-its-own-0123")).build();

            await().atMost(Duration.ofSeconds(10)).until(() -> same.isCurrent() && !other.isCurrent()
                    && !logged.isEmpty());
            other.isCurrent();
            String key = KeyFormat.forEnvironment("live").generate();
            assertThat(other.canDecide(key)).isFalse();
            assertThat(logged).hasSize(1);
            assertThat(logged.get(0).getLevel()).isEqualTo(Level.ERROR);
            assertThat(logged.get(0).getFormattedMessage()).contains("another pepper");
            // A health check tells it too, where the log is not at hand.
            Health health = ReplicaHealth.of(other, other.isCurrent()).build();
            assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
            assertThat(health.getDetails().get("notCurrent")).asString().contains("another pepper");
            assertThat(ReplicaHealth.of(same, same.isCurrent()).build().getDetails()).doesNotContainKey("notCurrent");

            // The command side's pepper mended (here: made this validator's): it decides again, and says so.
            writer.publishPepperFingerprint(KeyHasher.forPepper("a-pepper-of-its-own-0123").fingerprint());
            await().atMost(Duration.ofSeconds(10)).until(other::isCurrent);
            assertThat(logged).hasSize(2);
            assertThat(logged.get(1).getLevel()).isEqualTo(Level.INFO);
        }
    }

    /**
     * The installation's pepper changed (accepted by its operator) while a validator with the old one ran: it had
     * matched once and never looked again, so it went on admitting keys hashed with the old pepper, and answered every
     * key made since as unknown, while it said it was current.
     */
    @Test
    void aValidatorWhosePepperMatchedStopsDecidingOnceTheInstallationsPepperChanges() throws Exception {
        try (LogCapture log = LogCapture.of("io.latchkey.validator.DefaultKeyValidator");
             TestCluster cluster = new TestCluster()) {
            HazelcastInstance writerMember = cluster.startMember();
            ReplicaWriter writer = ReplicaWriter.of(writerMember);
            cluster.keepCaughtUp(writer);
            writer.publishPepperFingerprint(KeyHasher.forPepper("the-installations-pepper").fingerprint());
            KeyValidator validator = KeyValidator.builder().replica(HazelcastKeyReplica.of(cluster.startMember()))
                    .hasher(KeyHasher.forPepper("the-installations-pepper")).build();
            await().atMost(Duration.ofSeconds(10)).until(validator::isCurrent);

            writer.publishPepperFingerprint(KeyHasher.forPepper("the-installations-new-pepper").fingerprint());

            await().atMost(Duration.ofSeconds(10)).until(() -> !validator.isCurrent());
            assertThat(validator.canDecide(KeyFormat.forEnvironment("live").generate())).isFalse();
            assertThat(log.events()).singleElement().satisfies(event -> {
                assertThat(event.getLevel()).isEqualTo(Level.ERROR);
                assertThat(event.getFormattedMessage()).contains("another pepper");
            });
            writer.publishPepperFingerprint(KeyHasher.forPepper("the-installations-pepper").fingerprint());
            await().atMost(Duration.ofSeconds(10)).until(validator::isCurrent);
            assertThat(log.events()).hasSize(2);
        }
    }

    /**
     * A request that asked canDecide just before its service shut the member down gets the answer of one that cannot
     * be decided, not Hazelcast's exception.
     */
    @Test
    void aValidationAfterTheMemberShutDownIsUndecidedNotAHazelcastError() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            HazelcastInstance writerMember = cluster.startMember();
            cluster.keepCaughtUp(ReplicaWriter.of(writerMember));
            HazelcastInstance member = cluster.startMember();
            KeyValidator validator = KeyValidator.builder().replica(HazelcastKeyReplica.of(member)).build();
            String key = KeyFormat.forEnvironment("live").generate();
            await().atMost(Duration.ofSeconds(10)).until(() -> validator.canDecide(key));

            member.shutdown();

            assertThat(validator.canDecide(key)).isFalse();
            assertThat(validator.isCurrent()).isFalse();
            assertThatThrownBy(() -> validator.validate(key, "read")).isInstanceOf(ReplicaUnavailableException.class)
                    .hasMessageContaining(member.getName());
            HttpVerdict verdict = HttpVerdict.of("/orders/1", null, PresentedKey.from("Bearer " + key, null),
                    presented -> Optional.of(validator.validate(presented, "read")));
            assertThat(verdict.status()).isEqualTo(503);
        }
    }

    @Test
    void readinessAnswersAtOnceWhileThePublishedSizesOwnerIsCutOff() throws Exception {
        try (PartitionableCluster cluster = new PartitionableCluster(2, PassThroughMergePolicy.class.getName())) {
            List<HazelcastInstance> members = cluster.start();
            IMap<String, Long> meta = ReplicaMaps.meta(members.get(0));
            ReplicaWriter.of(members.get(0)).publishCaughtUp(Instant.now());
            // The edge is the member that does not own the published size: reading it is a call to the other.
            HazelcastInstance owner = members.stream()
                    .filter(member -> member.getCluster().getLocalMember().equals(members.get(0)
                            .getPartitionService().getPartition(ReplicaMaps.PUBLISHED_SIZE).getOwner()))
                    .findFirst().orElseThrow();
            HazelcastInstance edge = owner == members.get(0) ? members.get(1) : members.get(0);
            assertThat(meta.get(ReplicaMaps.PUBLISHED_SIZE)).isNotNull();
            HazelcastKeyReplica replica = HazelcastKeyReplica.of(edge);

            cluster.cutSilently(edge, owner);
            CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(replica::isReady);

            assertThat(ready.get(2, TimeUnit.SECONDS)).as("not ready: the read gave up after 100 ms").isFalse();
            cluster.heal();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!replica.isReady() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(replica.isReady()).as("ready once the owner answers again").isTrue();
        }
    }
}
