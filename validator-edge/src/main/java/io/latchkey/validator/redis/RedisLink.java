package io.latchkey.validator.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Lettuce connection used under a latency budget. A call that fails, or that is the third in a row not to
 * answer within the budget, makes the link pause for a while: during the pause calls return empty at once without
 * touching Redis, so a dead or stalled Redis costs callers nothing, and after it the next call tries again. The connection is made, and remade
 * after a restart of Redis, in the background.
 */
public final class RedisLink implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisLink.class);
    /**
     * Replies missing the budget in a row before the link pauses: one late reply (a collection in this JVM, a busy
     * moment of Redis) is decided locally on its own, and does not send a second's decisions away from Redis.
     */
    private static final int MISSES_BEFORE_PAUSE = 3;

    private final ClientResources resources;
    private final RedisClient client;
    private final RedisURI uri;
    private final long budgetNanos;
    private final long pauseNanos;
    private final AtomicBoolean connecting = new AtomicBoolean();
    /** Budget misses since the last reply in time. */
    private final AtomicInteger missesInARow = new AtomicInteger();
    private final LongAdder degraded = new LongAdder();
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile long pausedUntil = System.nanoTime();

    private RedisLink(String uri, Duration budget, Duration pause) {
        this.uri = RedisURI.create(uri);
        this.uri.setTimeout(Duration.ofSeconds(1));
        this.budgetNanos = budget.toNanos();
        this.pauseNanos = pause.toNanos();
        // Lettuce backs off up to 30 s between reconnects by default; an edge should be back within a second.
        this.resources = ClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                .build();
        this.client = RedisClient.create(resources);
        // Fail at once while disconnected instead of queueing behind a reconnect; bound what can pile up.
        client.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(10_000)
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(1)))
                .build());
    }

    /**
     * @param uri    e.g. {@code redis://127.0.0.1:6379}
     * @param budget how long a decision may wait for Redis (a few milliseconds)
     * @param pause  how long to stay away from Redis after a failure or a missed budget
     */
    public static RedisLink open(String uri, Duration budget, Duration pause) {
        RedisLink link = new RedisLink(uri, budget, pause);
        link.reconnect();
        return link;
    }

    /**
     * Runs {@code command} and waits for it within the budget; empty when Redis is paused, unreachable, failed or
     * was too slow (the failure pauses the link).
     */
    public <T> Optional<T> call(Function<RedisAsyncCommands<String, String>, CompletionStage<T>> command) {
        return callAsync(command).join();
    }

    /**
     * Runs {@code command} without waiting for it: the stage completes with its reply, or empty when Redis is paused,
     * unreachable, failed or did not answer within the budget (the failure pauses the link). It never completes
     * exceptionally, and always within the budget. It completes on Lettuce's I/O thread, or on the JDK's delay thread
     * when the budget runs out, so what depends on it must not block.
     */
    public <T> CompletableFuture<Optional<T>> callAsync(
            Function<RedisAsyncCommands<String, String>, CompletionStage<T>> command) {
        StatefulRedisConnection<String, String> current = connection;
        if (current == null || System.nanoTime() - pausedUntil < 0) {
            if (current == null) {
                reconnect();
            }
            return CompletableFuture.completedFuture(Optional.empty());
        }
        CompletableFuture<T> reply;
        try {
            // A copy, so that running out of budget completes ours and never Lettuce's own command.
            reply = command.apply(current.async()).toCompletableFuture().copy();
        } catch (RuntimeException e) {
            pause(e);
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return reply.orTimeout(budgetNanos, TimeUnit.NANOSECONDS).handle((value, failure) -> {
            if (failure == null) {
                if (missesInARow.get() != 0) {
                    missesInARow.set(0);
                }
                return Optional.ofNullable(value);
            }
            if (!(failure instanceof TimeoutException) || missesInARow.incrementAndGet() >= MISSES_BEFORE_PAUSE) {
                pause(failure);
            }
            return Optional.empty();
        });
    }

    /** Counts one decision made without Redis; see {@link #degraded()}. */
    public void countDegraded() {
        degraded.increment();
    }

    /** Decisions made from local buckets because Redis was paused, unreachable or too slow. */
    public long degraded() {
        return degraded.sum();
    }

    /** True while calls go to Redis; asking starts a connection attempt when there is none. */
    public boolean healthy() {
        if (connection == null) {
            reconnect();
        }
        return connection != null && System.nanoTime() - pausedUntil >= 0;
    }

    private void pause(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        boolean wasHealthy = connection != null && System.nanoTime() - pausedUntil >= 0;
        pausedUntil = System.nanoTime() + pauseNanos;
        if (wasHealthy) {
            log.warn("Redis at {} failed or missed the budget ({}); deciding from local buckets for {} ms",
                    uri.getHost() + ":" + uri.getPort(), cause.getClass().getSimpleName(), pauseNanos / 1_000_000);
        }
    }

    private void reconnect() {
        if (System.nanoTime() - pausedUntil < 0 || !connecting.compareAndSet(false, true)) {
            return;
        }
        client.connectAsync(StringCodec.UTF8, uri).whenComplete((made, failure) -> {
            if (failure == null) {
                connection = made;
            } else {
                pausedUntil = System.nanoTime() + pauseNanos;
            }
            connecting.set(false);
        });
    }

    @Override
    public void close() {
        StatefulRedisConnection<String, String> current = connection;
        if (current != null) {
            current.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        resources.shutdown(0, 1, TimeUnit.SECONDS);
    }
}
