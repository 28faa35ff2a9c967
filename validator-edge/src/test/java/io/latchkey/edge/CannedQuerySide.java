package io.latchkey.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/** A real HTTP server on loopback answering {@code POST /v1/validate} with whatever body it is given, counting asks. */
final class CannedQuerySide implements AutoCloseable {

    /** The token the edge is given and this query side expects. */
    static final String TOKEN = "canned-edge-token-0123456789";

    private final AtomicReference<String> answer;
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicInteger asked = new AtomicInteger();
    private final AtomicLong delayMillis = new AtomicLong();
    /** Asks wait on it before they are answered: none while it is open. */
    private volatile CountDownLatch gate = new CountDownLatch(0);
    /** A thread per ask, so that one held by a delay holds no other. */
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final HttpServer server;

    CannedQuerySide(String answer) {
        this.answer = new AtomicReference<>(answer);
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/v1/validate", exchange -> {
            asked.incrementAndGet();
            try {
                Thread.sleep(delayMillis.get());
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            boolean authenticated = ("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"));
            byte[] body = (authenticated ? this.answer.get() : "{\"status\":401}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(authenticated ? status.get() : 401, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.setExecutor(threads);
        server.start();
    }

    void answer(String body) {
        answer.set(body);
    }

    /** The status of later answers to the edge's token (200 at first). */
    void status(int answered) {
        status.set(answered);
    }

    /** How long later asks wait before they are answered (none at first). */
    void delay(Duration delay) {
        delayMillis.set(delay.toMillis());
    }

    /** Later asks wait, unanswered, until {@link #release()}. */
    void hold() {
        gate = new CountDownLatch(1);
    }

    /** Answers the asks held, and those after. */
    void release() {
        gate.countDown();
    }

    int asked() {
        return asked.get();
    }

    /** The edge's fallback, asking this server. */
    QuerySideFallback fallback() {
        return fallback(new EdgeMetrics(new SimpleMeterRegistry()));
    }

    QuerySideFallback fallback(EdgeMetrics metrics) {
        return fallback(metrics, System::nanoTime);
    }

    /** The edge's fallback, asking this server, its pauses measured on {@code nanoTime}. */
    QuerySideFallback fallback(EdgeMetrics metrics, LongSupplier nanoTime) {
        return new QuerySideFallback(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/validate"),
                TOKEN, new ObjectMapper(), metrics, nanoTime);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
