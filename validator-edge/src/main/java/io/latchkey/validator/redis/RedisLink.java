package io.latchkey.validator.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.metrics.CommandLatencyRecorder;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Lettuce connection used under a latency budget. A call that fails makes the link pause, and so does a stall (at
 * least three misses of the budget in a row, over three budgets or more). The first pause lasts four budgets; until a
 * reply comes in time, one miss pauses again, each pause twice as long as the last, up to the configured pause
 * ({@link LinkPauses}). During a pause calls return empty at once without touching Redis, so a dead or stalled Redis
 * costs callers little (the calls of one budget wait it out after each pause), and after it the next call tries again.
 * A Redis slower than the budget that still answers a call in time every three budgets or so does not pause the link:
 * each late call waits out the budget and is decided locally, while Redis most likely ran it. The connection is made,
 * and remade after a restart of Redis, in the background.
 */
public final class RedisLink implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisLink.class);
    /**
     * The least of Lettuce's own timeout, which must come after the budget: a reply late by less would arrive as
     * Lettuce's timeout, a failure that pauses the link. It also bounds how long a command waits in Lettuce's queue.
     */
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);

    private final ClientResources resources;
    private final RedisClient client;
    private final RedisURI uri;
    private final LinkPauses pauses;
    private final Deadlines deadlines;
    private final AtomicBoolean connecting = new AtomicBoolean();
    private final LongAdder degraded = new LongAdder();
    private volatile StatefulRedisConnection<String, String> connection;
    /** Outage warnings come at most once per longest pause, so that a flapping Redis cannot flood the log. */
    private final long warnEvery;
    private volatile long lastWarned;
    /** The outage last warned of, by when it began, until its end is logged. */
    private final AtomicLong warnedOutage = new AtomicLong(LinkPauses.NO_OUTAGE);

    private RedisLink(String uri, Duration budget, Duration pause) {
        if (budget.isNegative() || budget.isZero() || pause.isNegative() || pause.isZero()) {
            throw new IllegalArgumentException("The Redis budget and pause must be positive, not " + budget + " and "
                    + pause);
        }
        Duration timeout = budget.multipliedBy(2).compareTo(COMMAND_TIMEOUT) > 0 ? budget.multipliedBy(2)
                : COMMAND_TIMEOUT;
        this.uri = RedisURI.create(uri);
        this.uri.setTimeout(timeout);
        long budgetNanos = budget.toNanos();
        this.pauses = new LinkPauses(budgetNanos, pause.toNanos(), System.nanoTime());
        this.warnEvery = pause.toNanos();
        this.lastWarned = System.nanoTime() - warnEvery;
        // Lettuce backs off up to 30 s between reconnects by default; an edge should be back within a second. Its own
        // latency statistics are not read, and cost its I/O thread time on every reply.
        this.resources = ClientResources.builder()
                .commandLatencyRecorder(CommandLatencyRecorder.disabled())
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        this.client = RedisClient.create(resources);
        // Fail at once while disconnected instead of queueing behind a reconnect; bound what can pile up.
        client.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(10_000)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .build());
        this.deadlines = new Deadlines(budgetNanos, "latchkey-redis-deadlines-" + address());
    }

    /**
     * @param uri    e.g. {@code redis://127.0.0.1:6379}
     * @param budget how long a decision may wait for Redis (a few milliseconds)
     * @param pause  the longest time to stay away from Redis after a failure or a stall (the first pause of an outage
     *               lasts four budgets, each further one twice as long as the last)
     */
    public static RedisLink open(String uri, Duration budget, Duration pause) {
        RedisLink link = new RedisLink(uri, budget, pause);
        link.reconnect();
        return link;
    }

    /**
     * Runs {@code command} and waits for it within the budget; empty when Redis is paused, unreachable, failed or
     * was too slow (a failure or a stall pauses the link).
     */
    public <T> Optional<T> call(Function<RedisAsyncCommands<String, String>, CompletionStage<T>> command) {
        return callAsync(command).join();
    }

    /**
     * Runs {@code command} without waiting for it: the stage completes with its reply, or empty when Redis is paused,
     * unreachable, failed or did not answer within the budget (a failure or a stall pauses the link). It never
     * completes exceptionally, and always within the budget. It completes on Lettuce's I/O thread, or on the link's
     * deadline thread when the budget runs out, so what depends on it must not block.
     */
    public <T> CompletableFuture<Optional<T>> callAsync(
            Function<RedisAsyncCommands<String, String>, CompletionStage<T>> command) {
        int sentIn = pauses.generation();
        StatefulRedisConnection<String, String> current = connection;
        if (current == null || !pauses.open(System.nanoTime())) {
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
            pause(sentIn, e);
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return deadlines.within(reply).handle((value, failure) -> {
            if (failure == null) {
                long outageBegan = pauses.replied(sentIn);
                if (outageBegan != LinkPauses.NO_OUTAGE && warnedOutage.compareAndSet(outageBegan,
                        LinkPauses.NO_OUTAGE)) {
                    log.info("Redis at {} answers in time again, after {} ms", address(),
                            (System.nanoTime() - outageBegan) / 1_000_000);
                }
                return Optional.ofNullable(value);
            }
            if (!(failure instanceof TimeoutException) || pauses.missed(sentIn, System.nanoTime())) {
                pause(sentIn, failure);
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

    /**
     * False from a missed budget or a failure until a reply comes in time. A caller about to take a batch (a lease of
     * tokens or of requests) takes a single one instead: a batch whose reply is late is lost to it, though Redis most
     * likely took it, and one at every miss would drain the shared count while Redis is slow.
     */
    public boolean answeringInTime() {
        return pauses.answeringInTime();
    }

    /** True while calls go to Redis; asking starts a connection attempt when there is none. */
    public boolean healthy() {
        if (connection == null) {
            reconnect();
        }
        return connection != null && pauses.open(System.nanoTime());
    }

    private void pause(int sentIn, Throwable failure) {
        warnOnce(pauses.pause(sentIn, System.nanoTime()), failure);
    }

    /** Once per outage (its pauses follow one another without a reply in time), and once per longest pause. */
    private void warnOnce(LinkPauses.Pause begun, Throwable failure) {
        long now = System.nanoTime();
        if (begun == null || now - lastWarned < warnEvery) {
            return;
        }
        long warned = warnedOutage.get();
        if (warned == begun.outageBegan() || !warnedOutage.compareAndSet(warned, begun.outageBegan())) {
            return;
        }
        lastWarned = now;
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        log.warn("Redis at {} failed or stalled ({}); deciding from local buckets until it answers in time",
                address(), cause.getClass().getSimpleName());
    }

    private String address() {
        return uri.getHost() + ":" + uri.getPort();
    }

    private void reconnect() {
        if (!pauses.open(System.nanoTime()) || !connecting.compareAndSet(false, true)) {
            return;
        }
        client.connectAsync(StringCodec.UTF8, uri).whenComplete((made, failure) -> {
            if (failure == null) {
                connection = made;
            } else {
                warnOnce(pauses.pauseNow(System.nanoTime()), failure);
            }
            connecting.set(false);
        });
    }

    @Override
    public void close() {
        try {
            StatefulRedisConnection<String, String> current = connection;
            if (current != null) {
                current.close();
            }
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            resources.shutdown(0, 1, TimeUnit.SECONDS);
        } finally {
            deadlines.close();
        }
    }
}
