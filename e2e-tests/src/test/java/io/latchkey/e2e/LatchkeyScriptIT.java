package io.latchkey.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.testing.LoopbackPorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/latchkey up} as a newcomer runs it, on ports and a data directory of its own: a service that dies is
 * started again while the others run on, a second run on the same data directory is refused, {@code bin/latchkey stop}
 * ends services whose launcher was killed, and a run with another pepper than the installation's keys were made with,
 * or with ports that cannot be, is refused.
 */
class LatchkeyScriptIT {

    private static final Path SCRIPT = Path.of(System.getProperty("latchkey.docsDir", "../docs"))
            .resolveSibling("bin").resolve("latchkey");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final int commandPort = LoopbackPorts.free();
    private final int queryPort = LoopbackPorts.free();
    private final int edgePort = LoopbackPorts.free();

    private ProcessBuilder up(Path dataDir, Path output, int command, int query, int edge) {
        ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toString(), "up")
                .redirectErrorStream(true).redirectOutput(output.toFile());
        Map<String, String> env = builder.environment();
        env.put("LATCHKEY_DATA_DIR", dataDir.toString());
        env.put("LATCHKEY_COMMAND_PORT", String.valueOf(command));
        env.put("LATCHKEY_QUERY_PORT", String.valueOf(query));
        env.put("LATCHKEY_EDGE_PORT", String.valueOf(edge));
        env.put("LATCHKEY_GATEWAY_PORT", String.valueOf(LoopbackPorts.free()));
        env.put("LATCHKEY_STORE_PORT", String.valueOf(LoopbackPorts.free()));
        // The jars this build made: a build of its own would write into the running build's target directories.
        env.put("LATCHKEY_SKIP_BUILD", "1");
        return builder;
    }

    @Test
    void aServiceThatDiesIsStartedAgainAndASecondRunOnItsDataIsRefused() throws Exception {
        Path workDir = Files.createDirectories(Path.of(System.getProperty("latchkey.workDir", "target/e2e"))
                .resolve("script-" + System.nanoTime()));
        Path dataDir = workDir.resolve("data");
        Path output = workDir.resolve("up.out");
        Process script = up(dataDir, output, commandPort, queryPort, edgePort).start();
        // Should this JVM end first, its services must not outlive it, nor those its launcher leaves when killed.
        List<ProcessHandle> orphans = new CopyOnWriteArrayList<>();
        Thread cleanup = new Thread(() -> {
            script.descendants().forEach(ProcessHandle::destroyForcibly);
            orphans.forEach(ProcessHandle::destroyForcibly);
        });
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            // The script says so once it has seen the edge healthy: after the edge is.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (!Files.readString(output).contains("Latchkey is up")) {
                assertThat(script.isAlive()).as("bin/latchkey running; it said:%n%s", Files.readString(output))
                        .isTrue();
                assertThat(System.nanoTime()).as("bin/latchkey up; it said:%n%s", Files.readString(output))
                        .isLessThan(deadline);
                Thread.sleep(250);
            }
            assertThat(Files.readString(output)).doesNotContain("Building")
                    .contains("replica members       127.0.0.1 (latchkey.hazelcast.members");
            ProcessHandle commandSide = script.descendants()
                    .filter(p -> p.info().commandLine().orElse("").contains("--server.port=" + commandPort))
                    .findFirst().orElseThrow();
            commandSide.destroyForcibly();
            commandSide.onExit().get(10, TimeUnit.SECONDS);

            awaitHealthy(commandPort, output, 120);
            assertThat(Files.readString(output)).contains("command-side exited (status 137); starting it again");
            // The others ran on (the edge may have been out of service while the store was away) and answer again.
            awaitHealthy(queryPort, output, 60);
            awaitHealthy(edgePort, output, 60);
            assertThat(Files.readString(output)).doesNotContain("query-side exited").doesNotContain("edge exited");
            assertThat(script.isAlive()).isTrue();

            Path secondOutput = workDir.resolve("second.out");
            Process second = up(dataDir, secondOutput, LoopbackPorts.free(), LoopbackPorts.free(),
                    LoopbackPorts.free()).start();
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(second.exitValue()).isEqualTo(1);
            assertThat(Files.readString(secondOutput)).contains("another bin/latchkey up (pid " + script.pid() + ")");

            Path statusOutput = workDir.resolve("status.out");
            assertThat(run(dataDir, statusOutput, "status")).as("all up").isZero();
            assertThat(Files.readString(statusOutput)).contains("bin/latchkey up runs (pid " + script.pid() + ")")
                    .containsPattern("command-side +pid [0-9]+ +http://127.0.0.1:" + commandPort + "  UP")
                    .containsPattern("query-side +pid [0-9]+ +http://127.0.0.1:" + queryPort + "  UP")
                    .containsPattern("edge +pid [0-9]+ +http://127.0.0.1:" + edgePort + "  UP");

            // A launcher killed without a chance to stop its services leaves them running: 'stop' ends them.
            orphans.addAll(script.descendants().toList());
            script.destroyForcibly();
            assertThat(script.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(health(commandPort)).as("the services outlive their launcher").isEqualTo(200);
            assertThat(run(dataDir, statusOutput, "status")).as("all up, without their launcher").isZero();
            assertThat(Files.readString(statusOutput)).contains("no bin/latchkey up runs");
            // Another run on their data, on other ports, is refused before it could hide them from stop and status.
            Path besideOrphans = workDir.resolve("beside-orphans.out");
            Process beside = up(dataDir, besideOrphans, LoopbackPorts.free(), LoopbackPorts.free(),
                    LoopbackPorts.free()).start();
            assertThat(beside.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(beside.exitValue()).isEqualTo(1);
            assertThat(Files.readString(besideOrphans)).contains("services of an earlier bin/latchkey up still run")
                    .contains("'bin/latchkey stop' stops them");
            assertThat(run(dataDir, statusOutput, "status")).as("all up, still listed").isZero();
            Path stopOutput = workDir.resolve("stop.out");
            // stop takes no start timeout: a wrong one in the environment does not keep it from stopping.
            assertThat(run(dataDir, stopOutput, "stop", "LATCHKEY_START_TIMEOUT", "abc")).isZero();
            assertThat(Files.readString(stopOutput)).contains("Latchkey stopped");
            for (int port : new int[] {commandPort, queryPort, edgePort}) {
                assertThat(health(port)).as("port %d after stop", port).isZero();
            }
            assertThat(run(dataDir, statusOutput, "status")).as("nothing runs").isEqualTo(3);
        } finally {
            script.destroy();
            if (!script.waitFor(90, TimeUnit.SECONDS)) {
                kill(script);
            }
            orphans.forEach(ProcessHandle::destroyForcibly);
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
        assertThat(dataDir.resolve("latchkey.pid")).as("removed as it stops").doesNotExist();

        // Started again with another pepper than the first run's (none): refused, saying why.
        assertThat(failedUp(dataDir, workDir.resolve("repeppered.out"), 180, "LATCHKEY_PEPPER",
                "another-pepper-0123456789")).contains("command-side exited during start-up")
                .contains("not the one recorded at this installation's first start")
                .contains("LATCHKEY_ACCEPT_NEW_PEPPER");

        // A setting the edge cannot read: Spring Boot's account names it, where the last cause Java logged does not.
        assertThat(failedUp(dataDir, workDir.resolve("unreadable-setting.out"), 240,
                "LATCHKEY_EDGE_GATEWAYMAXCONNECTIONS", "abc")).contains("edge exited during start-up")
                .contains("latchkey.edge.gateway-max-connections");
    }

    /**
     * {@code bin/latchkey up} on the data directory and this test's ports, with one more setting, which must end it
     * within {@code seconds} and with a status other than 0; what it said.
     */
    private String failedUp(Path dataDir, Path output, int seconds, String name, String value) throws Exception {
        ProcessBuilder builder = up(dataDir, output, commandPort, queryPort, edgePort);
        builder.environment().put(name, value);
        Process script = builder.start();
        try {
            assertThat(script.waitFor(seconds, TimeUnit.SECONDS)).as("bin/latchkey up with %s ends", name).isTrue();
        } finally {
            kill(script);
        }
        assertThat(script.exitValue()).isNotZero();
        return Files.readString(output);
    }

    @Test
    void portsThatCannotBeAreRefusedAtOnceAndTheHelpIsWhole() throws Exception {
        Path workDir = Files.createDirectories(Path.of(System.getProperty("latchkey.workDir", "target/e2e"))
                .resolve("script-ports-" + System.nanoTime()));
        for (String[] wrong : new String[][] {{"LATCHKEY_EDGE_PORT", "abc"}, {"LATCHKEY_EDGE_PORT", "0"},
                {"LATCHKEY_GATEWAY_PORT", "08090"}, {"LATCHKEY_QUERY_PORT", "99999"},
                {"LATCHKEY_QUERY_PORT", "99999999999999999999"},
                {"LATCHKEY_STORE_PORT", String.valueOf(commandPort)}, {"LATCHKEY_HAZELCAST_PORT", "5701x"},
                {"LATCHKEY_HAZELCAST_PORT", String.valueOf(edgePort - 5)}}) {
            Path output = workDir.resolve("ports.out");
            ProcessBuilder builder = up(workDir.resolve("data"), output, commandPort, queryPort, edgePort);
            builder.environment().put(wrong[0], wrong[1]);
            Process script = builder.start();
            try {
                assertThat(script.waitFor(10, TimeUnit.SECONDS)).isTrue();
            } finally {
                kill(script);
            }
            assertThat(script.exitValue()).isEqualTo(2);
            assertThat(Files.readString(output)).as(String.join("=", wrong)).contains(wrong[0])
                    .doesNotContain("in use");
        }
        assertThat(workDir.resolve("data")).as("nothing made").doesNotExist();

        Path help = workDir.resolve("help.out");
        Process shown = new ProcessBuilder("bash", SCRIPT.toString(), "--help").redirectErrorStream(true)
                .redirectOutput(help.toFile()).start();
        assertThat(shown.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(shown.exitValue()).isZero();
        assertThat(Files.readString(help)).contains("LATCHKEY_START_TIMEOUT").contains("java and curl.")
                .doesNotContain("set -euo pipefail");
    }

    /**
     * {@code bin/latchkey <command>} on the data directory, with the environment's other names and values, to its end
     * (at most 2 minutes); its exit status.
     */
    private static int run(Path dataDir, Path output, String command, String... environment) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toString(), command).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().put("LATCHKEY_DATA_DIR", dataDir.toString());
        for (int i = 0; i < environment.length; i += 2) {
            builder.environment().put(environment[i], environment[i + 1]);
        }
        Process process = builder.start();
        try {
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("bin/latchkey %s ends", command).isTrue();
        } finally {
            process.destroyForcibly();
        }
        return process.exitValue();
    }

    /** A launcher and every service it runs, at once. */
    private static void kill(Process launcher) {
        launcher.descendants().forEach(ProcessHandle::destroyForcibly);
        launcher.destroyForcibly();
    }

    private static void awaitHealthy(int port, Path output, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (health(port) != 200) {
            assertThat(System.nanoTime()).as("port %d healthy; bin/latchkey said:%n%s", port,
                    Files.readString(output)).isLessThan(deadline);
            Thread.sleep(250);
        }
    }

    private static int health(int port) throws InterruptedException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 0;
        }
    }
}
