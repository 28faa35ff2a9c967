package io.latchkey.e2e;

import io.latchkey.testing.LoopbackPorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The three services as separate JVMs on free loopback ports, sharing one data directory, in a Hazelcast cluster
 * of their own. Started in dependency order (command side serves the store; the edge needs a writer to be ready).
 */
final class LatchkeySystem implements AutoCloseable {

    static final String OPERATOR_TOKEN = "e2e-operator-token-" + UUID.randomUUID();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /**
     * The services' JVM options: small heaps and C1 only by default, which favours the suite's many short start-ups;
     * load runs pass {@code -Dlatchkey.e2e.jvmOptions=-Xmx512m} to measure what {@code bin/latchkey} runs.
     */
    private static final String JVM_OPTIONS = System.getProperty("latchkey.e2e.jvmOptions",
            "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");

    final Path dataDir;
    final Path logDir;
    final int commandPort = LoopbackPorts.free();
    final int queryPort = LoopbackPorts.free();
    final int edgePort = LoopbackPorts.free();
    /** The first edge's gateway listener ({@code latchkey.edge.gateway-port}). */
    final int edgeGatewayPort = LoopbackPorts.free();
    final int storePort = LoopbackPorts.free();
    private final int commandHazelcastPort = LoopbackPorts.free();
    private final int hazelcastPort = LoopbackPorts.free();
    private final int edgeHazelcastPort = LoopbackPorts.free();
    private final String clusterName = "e2e-" + UUID.randomUUID();
    private final Map<String, Process> processes = new LinkedHashMap<>();
    /** Extra arguments for every edge of the system (e.g. its rate-limit settings); set before {@link #start()}. */
    final List<String> edgeArgs = new ArrayList<>();
    private int generation;

    LatchkeySystem(Path workDir) throws IOException {
        this.dataDir = Files.createDirectories(workDir.resolve("data"));
        this.logDir = Files.createDirectories(workDir.resolve("logs"));
    }

    String commandUrl() {
        return "http://127.0.0.1:" + commandPort;
    }

    String queryUrl() {
        return "http://127.0.0.1:" + queryPort;
    }

    String edgeUrl() {
        return "http://127.0.0.1:" + edgePort;
    }

    /** The replica cluster's name, for a member of the test's own to join. */
    String clusterName() {
        return clusterName;
    }

    /** The replica cluster's members, as {@code host:port}. */
    List<String> memberAddresses() {
        return List.of(members().split(","));
    }

    private String members() {
        return "127.0.0.1:" + commandHazelcastPort + ",127.0.0.1:" + hazelcastPort + ",127.0.0.1:" + edgeHazelcastPort;
    }

    void start() throws Exception {
        generation++;
        String members = members();
        // The command side is a replica member too: it authenticates developers' admin keys from its own copy.
        launch("command-side", System.getProperty("latchkey.commandJar"), commandPort,
                "--latchkey.store.port=" + storePort,
                "--latchkey.hazelcast.cluster-name=" + clusterName,
                "--latchkey.hazelcast.port=" + commandHazelcastPort,
                "--latchkey.hazelcast.members=" + members);
        awaitHealthy(commandUrl());
        launch("query-side", System.getProperty("latchkey.queryJar"), queryPort,
                "--spring.data.mongodb.uri=mongodb://127.0.0.1:" + storePort + "/latchkey",
                "--latchkey.hazelcast.cluster-name=" + clusterName,
                "--latchkey.hazelcast.port=" + hazelcastPort,
                "--latchkey.hazelcast.members=" + members);
        awaitHealthy(queryUrl());
        launch("edge", System.getProperty("latchkey.edgeJar"), edgePort, withEdgeArgs(
                "--latchkey.edge.gateway-port=" + edgeGatewayPort,
                "--latchkey.hazelcast.cluster-name=" + clusterName,
                "--latchkey.hazelcast.port=" + edgeHazelcastPort,
                "--latchkey.hazelcast.members=" + members));
        awaitHealthy(edgeUrl());
    }

    /** Another edge in the system's cluster, as production runs several; returns its HTTP port once it is ready. */
    int startEdge(String name, String... args) throws Exception {
        int port = LoopbackPorts.free();
        List<String> all = new ArrayList<>(List.of(withEdgeArgs(
                "--latchkey.hazelcast.cluster-name=" + clusterName,
                "--latchkey.hazelcast.port=" + LoopbackPorts.free(),
                "--latchkey.hazelcast.members=" + members())));
        all.addAll(List.of(args));
        launch(name, System.getProperty("latchkey.edgeJar"), port, all.toArray(String[]::new));
        awaitHealthy("http://127.0.0.1:" + port);
        return port;
    }

    /**
     * An extra edge in a Hazelcast cluster of its own, where no writer ever publishes: its replica never becomes
     * complete, so it answers only through {@code fallbackUrl} (when given). Returns its HTTP port.
     */
    int startEdgeWithoutReplica(String name, String fallbackUrl, String... extraArgs) throws Exception {
        int port = LoopbackPorts.free();
        int hazelcast = LoopbackPorts.free();
        List<String> args = new ArrayList<>(List.of(
                "--latchkey.hazelcast.cluster-name=lonely-" + UUID.randomUUID(),
                "--latchkey.hazelcast.port=" + hazelcast,
                "--latchkey.hazelcast.members=127.0.0.1:" + hazelcast));
        args.addAll(List.of(extraArgs));
        if (fallbackUrl != null) {
            args.add("--latchkey.edge.fallback-url=" + fallbackUrl);
        }
        launch(name, System.getProperty("latchkey.edgeJar"), port, args.toArray(String[]::new));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            try {
                HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(),
                        HttpResponse.BodyHandlers.discarding());
                return port;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException(name + " did not start; see " + logDir);
    }

    private String[] withEdgeArgs(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--latchkey.usage.command-url=" + commandUrl());
        // Generous: two cores run several JVMs, Redis and the load, so the 5 ms default is missed by scheduling
        // alone (and a cold edge's first calls), and each miss is a decision from local buckets, which tests of
        // exact limits must not see.
        all.add("--latchkey.rate-limit.redis-budget=250ms");
        all.addAll(edgeArgs);
        return all.toArray(String[]::new);
    }

    private void launch(String name, String jar, int port, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(JVM_OPTIONS.trim().split("\\s+")));
        command.addAll(List.of("-Daxoniq.update-checker.disabled=true", "-Dhazelcast.phone.home.enabled=false",
                "-jar", jar, "--server.port=" + port));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        logDir.resolve(name + "-" + generation + ".log").toFile()));
        builder.environment().put("LATCHKEY_DATA_DIR", dataDir.toString());
        // Edges are not given it, as bin/latchkey gives them none: they use the usage token the command side keeps in
        // the data directory.
        if (!jar.equals(System.getProperty("latchkey.edgeJar"))) {
            builder.environment().put("LATCHKEY_OPERATOR_TOKEN", OPERATOR_TOKEN);
        }
        processes.put(name, builder.start());
    }

    private void awaitHealthy(String baseUrl) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            for (Map.Entry<String, Process> process : processes.entrySet()) {
                if (!process.getValue().isAlive()) {
                    throw new IllegalStateException(process.getKey() + " exited with " + process.getValue().exitValue()
                            + "; see " + logDir);
                }
            }
            try {
                HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + "/actuator/health"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(baseUrl + " did not become healthy; see " + logDir);
    }

    /** SIGTERM to every service, newest first, and wait for each to exit. */
    void stop() throws InterruptedException {
        List<Process> running = new ArrayList<>(processes.values());
        for (int i = running.size() - 1; i >= 0; i--) {
            Process process = running.get(i);
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
        processes.clear();
    }

    /** Stops one service ({@code command-side}, {@code query-side} or {@code edge}). */
    void stop(String name) throws InterruptedException {
        Process process = processes.remove(name);
        if (process != null) {
            process.destroy();
            process.waitFor();
        }
    }

    /** {@code kill -9} of every service at once: nothing gets to flush or shut down. */
    void killAll() throws InterruptedException {
        for (Process process : processes.values()) {
            process.destroyForcibly();
        }
        for (Process process : processes.values()) {
            process.waitFor();
        }
        processes.clear();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
