package io.latchkey.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.testing.LoopbackPorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A service given a setting that cannot work stops at start, naming the setting, and its process ends: one that started
 * with the feature silently off, or a process left running after its start failed, looks healthy to nobody and to no
 * launcher.
 */
class MisconfiguredServiceIT {

    private static final Path WORK = Path.of(System.getProperty("latchkey.workDir", "target/e2e"));

    @Test
    void aCommandSideWhoseExpirySweepCannotRunStopsNamingTheSetting() throws Exception {
        int hazelcast = LoopbackPorts.free();
        assertStopsSaying(System.getProperty("latchkey.commandJar"), "latchkey.expiry.sweep-interval must be positive",
                "--latchkey.expiry.sweep-interval=0", "--latchkey.store.port=" + LoopbackPorts.free(),
                "--latchkey.hazelcast.port=" + hazelcast, "--latchkey.hazelcast.members=127.0.0.1:" + hazelcast);
    }

    @Test
    void anEdgeWhoseGatewayListenerCouldTakeNoConnectionStopsNamingTheSetting() throws Exception {
        int hazelcast = LoopbackPorts.free();
        assertStopsSaying(System.getProperty("latchkey.edgeJar"),
                "latchkey.edge.gateway-max-connections must be at least 1, got 0",
                "--latchkey.edge.gateway-port=" + LoopbackPorts.free(), "--latchkey.edge.gateway-max-connections=0",
                "--latchkey.rate-limit.mode=off", "--latchkey.hazelcast.port=" + hazelcast,
                "--latchkey.hazelcast.members=127.0.0.1:" + hazelcast);
    }

    private static void assertStopsSaying(String jar, String reason, String... args) throws Exception {
        Path dir = Files.createDirectories(WORK.resolve("misconfigured-" + System.nanoTime()));
        Path log = dir.resolve("service.log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Daxoniq.update-checker.disabled=true",
                "-Dhazelcast.phone.home.enabled=false", "-jar", jar, "--server.port=" + LoopbackPorts.free(),
                "--latchkey.hazelcast.cluster-name=misconfigured-" + UUID.randomUUID()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("LATCHKEY_DATA_DIR", dir.resolve("data").toString());
        builder.environment().put("LATCHKEY_OPERATOR_TOKEN", LatchkeySystem.OPERATOR_TOKEN);
        Process service = builder.start();
        try {
            assertThat(service.waitFor(150, TimeUnit.SECONDS)).as("the service's process ends; it logged:%n%s",
                    Files.readString(log)).isTrue();
        } finally {
            service.destroyForcibly();
        }
        assertThat(service.exitValue()).isNotZero();
        assertThat(Files.readString(log)).contains(reason);
    }
}
