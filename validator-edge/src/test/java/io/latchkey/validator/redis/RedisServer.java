package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.testing.LoopbackPorts;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private {@code redis-server} on a free loopback port, which tests may stop and start; the shared server on 6379
 * is never touched.
 */
public final class RedisServer implements AutoCloseable {

    private final int port;
    private final Path dir;
    private Process process;

    public RedisServer() {
        this.port = LoopbackPorts.free();
        try {
            this.dir = Files.createTempDirectory("latchkey-redis");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        start();
    }

    /** Until a command reaches Redis through {@code link}: a link connects, and reconnects, in the background. */
    static void awaitReachable(RedisLink link) throws InterruptedException {
        for (int i = 0; i < 250 && link.call(commands -> commands.ping()).isEmpty(); i++) {
            Thread.sleep(20);
        }
        assertThat(link.call(commands -> commands.ping())).contains("PONG");
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Starts it with {@code options} added to the command line, e.g. {@code --key-load-delay 100}. */
    public void start(String... options) {
        try {
            List<String> command = new ArrayList<>(List.of("redis-server", "--bind", "127.0.0.1", "--port",
                    Integer.toString(port), "--save", "", "--appendonly", "no", "--dir", dir.toString()));
            command.addAll(List.of(options));
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
            for (int i = 0; i < 500; i++) {
                try (Socket ignored = new Socket("127.0.0.1", port)) {
                    return;
                } catch (IOException notYet) {
                    Thread.sleep(10);
                }
            }
            throw new IllegalStateException("redis-server did not start on port " + port);
        } catch (IOException e) {
            throw new IllegalStateException("redis-server could not be started", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public void stop() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How many times Redis ran {@code command} (lower case, e.g. {@code evalsha}), by INFO commandstats. */
    public long calls(String command) {
        return cli("INFO", "commandstats").lines().filter(line -> line.startsWith("cmdstat_" + command + ":"))
                .mapToLong(line -> Long.parseLong(line.substring(line.indexOf("calls=") + 6, line.indexOf(','))))
                .sum();
    }

    /** Runs {@code redis-cli} against this server, e.g. {@code SCRIPT FLUSH}; returns its output. */
    public String cli(String... command) {
        String[] full = new String[command.length + 3];
        full[0] = "redis-cli";
        full[1] = "-p";
        full[2] = Integer.toString(port);
        System.arraycopy(command, 0, full, 3, command.length);
        try {
            Process cli = new ProcessBuilder(full).redirectErrorStream(true).start();
            String out = new String(cli.getInputStream().readAllBytes()).trim();
            cli.waitFor();
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
