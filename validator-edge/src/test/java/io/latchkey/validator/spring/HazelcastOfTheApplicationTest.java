package io.latchkey.validator.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.validator.Decision;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.hazelcast.HazelcastKeyReplica;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import io.latchkey.validator.hazelcast.TestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.hazelcast.HazelcastAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * An application that uses Hazelcast for something of its own keeps that Hazelcast as it configured it, and its
 * auto-configured validator still reads the key replica, from a member of its own; real members on 127.0.0.1.
 */
class HazelcastOfTheApplicationTest {

    private static final TestCluster cluster = new TestCluster();
    private static final HazelcastInstance writerMember = cluster.startMember();
    private static final KeyFormat FORMAT = KeyFormat.forEnvironment("live");

    @BeforeAll
    static void publish() {
        cluster.keepCaughtUp(ReplicaWriter.of(writerMember));
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(LatchkeyValidatorAutoConfiguration.class,
                    HazelcastAutoConfiguration.class))
            .withPropertyValues("latchkey.hazelcast.cluster-name=" + cluster.settings().clusterName(),
                    "latchkey.hazelcast.port=" + (cluster.settings().port() + 1),
                    "latchkey.hazelcast.members=" + String.join(",", cluster.settings().members()));

    /** A cache cluster of the application's: its own name, on a port block of its own, never joined by multicast. */
    @Configuration(proxyBeanMethods = false)
    static class CacheOfItsOwn {

        @Bean
        Config applicationHazelcast() {
            Config config = new Config("cache-" + UUID.randomUUID());
            config.setClusterName("cache-" + UUID.randomUUID());
            config.setProperty("hazelcast.phone.home.enabled", "false");
            int port = LoopbackPorts.freeBlock(1);
            config.getNetworkConfig().setPort(port).setPortAutoIncrement(false)
                    .getInterfaces().setEnabled(true).addInterface("127.0.0.1");
            JoinConfig join = config.getNetworkConfig().getJoin();
            join.getMulticastConfig().setEnabled(false);
            join.getAutoDetectionConfig().setEnabled(false);
            join.getTcpIpConfig().setEnabled(true).setMembers(List.of("127.0.0.1:" + port));
            return config;
        }
    }

    @Test
    void anApplicationsOwnHazelcastConfigStaysItsOwnAndTheValidatorReadsTheReplicaFromAMemberOfItsOwn()
            throws InterruptedException {
        int replicaMembers = writerMember.getCluster().getMembers().size();
        runner.withUserConfiguration(CacheOfItsOwn.class).run(context -> {
            assertThat(context).hasNotFailed();
            HazelcastInstance application = context.getBean(HazelcastInstance.class);
            assertThat(application.getConfig().getClusterName()).startsWith("cache-");
            HazelcastInstance replicaMember = context.getBean(ReplicaMember.class).hazelcast();
            assertThat(replicaMember).isNotSameAs(application);
            assertThat(replicaMember.getConfig().getClusterName()).isEqualTo(cluster.settings().clusterName());
            assertThat(application.getCluster().getMembers()).hasSize(1);
            assertValidates(context.getBean(KeyValidator.class), replicaMember);
        });
        // The validator's own member left the replica cluster with the context.
        for (int i = 0; i < 500 && writerMember.getCluster().getMembers().size() != replicaMembers; i++) {
            Thread.sleep(10);
        }
        assertThat(writerMember.getCluster().getMembers()).hasSize(replicaMembers);
    }

    @Test
    void aHazelcastFileOfTheApplicationIsReadAsSpringBootReadsItAndTheValidatorUsesAMemberOfItsOwn(
            @TempDir Path directory) throws Exception {
        int port = LoopbackPorts.freeBlock(1);
        String cacheCluster = "file-cache-" + UUID.randomUUID();
        Path file = Files.writeString(directory.resolve("hazelcast.yaml"), """
                hazelcast:
                  cluster-name: %s
                  properties:
                    hazelcast.phone.home.enabled: false
                  network:
                    port:
                      port: %d
                      auto-increment: false
                    interfaces:
                      enabled: true
                      interfaces: [127.0.0.1]
                    join:
                      multicast:
                        enabled: false
                      auto-detection:
                        enabled: false
                      tcp-ip:
                        enabled: true
                        member-list: [127.0.0.1:%d]
                """.formatted(cacheCluster, port, port));
        runner.withPropertyValues("spring.hazelcast.config=" + file.toUri()).run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(Config.class);
            HazelcastInstance application = context.getBean(HazelcastInstance.class);
            assertThat(application.getConfig().getClusterName()).isEqualTo(cacheCluster);
            HazelcastInstance replicaMember = context.getBean(ReplicaMember.class).hazelcast();
            assertThat(replicaMember.getConfig().getClusterName()).isEqualTo(cluster.settings().clusterName());
            assertValidates(context.getBean(KeyValidator.class), replicaMember);
        });
    }

    @Test
    void withoutAHazelcastOfItsOwnTheApplicationsMemberIsTheReplicaMember() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            HazelcastInstance application = context.getBean(HazelcastInstance.class);
            assertThat(context.getBean(ReplicaMember.class).hazelcast()).isSameAs(application);
            assertValidates(context.getBean(KeyValidator.class), application);
        });
    }

    /** A validator of the application's own, built on the member the auto-configuration's Config made. */
    @Configuration(proxyBeanMethods = false)
    static class ValidatorOfItsOwn {

        @Bean
        KeyValidator ownValidator(HazelcastInstance member) {
            return KeyValidator.builder().replica(HazelcastKeyReplica.of(member)).maxLag(null).build();
        }
    }

    @Test
    void aValidatorOfTheApplicationsOwnIsBuiltOnTheAutoConfiguredMemberAndNoOtherStarts() {
        runner.withUserConfiguration(ValidatorOfItsOwn.class).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(HazelcastInstance.class)
                    .doesNotHaveBean(ReplicaMember.class);
            assertValidates(context.getBean(KeyValidator.class), context.getBean(HazelcastInstance.class));
        });
    }

    @Test
    void aMemberNotMadeForTheReplicaIsRefusedAsOne() {
        Config config = new CacheOfItsOwn().applicationHazelcast();
        HazelcastInstance other = Hazelcast.newHazelcastInstance(config);
        try {
            assertThatThrownBy(() -> HazelcastKeyReplica.of(other)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("ReplicaCluster.memberConfig");
        } finally {
            other.shutdown();
        }
    }

    /** A key written by the writer is valid through {@code validator} once {@code member} holds it. */
    private static void assertValidates(KeyValidator validator, HazelcastInstance member)
            throws InterruptedException {
        String key = FORMAT.generate();
        String keyId = UUID.randomUUID().toString();
        TestCluster.writeAndAwait(ReplicaWriter.of(writerMember), member, key,
                new ActiveKeyEntry(keyId, "dev-7", List.of("orders:read"), null, null, KeyStatus.ACTIVE, 0, null));
        for (int i = 0; i < 500 && !validator.canDecide(key); i++) {
            Thread.sleep(10);
        }
        Decision decision = validator.validate(key, "orders:read");
        assertThat(decision.status()).isEqualTo(Decision.Status.VALID);
        assertThat(decision.keyId()).isEqualTo(keyId);
    }
}
