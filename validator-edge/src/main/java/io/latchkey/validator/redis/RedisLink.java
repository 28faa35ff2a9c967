package io.latchkey.validator.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisLoadingException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DnsResolvers;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.SocketAddressResolver;
import io.lettuce.core.resource.Transports;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lettuce connections to one Redis, used under one latency budget. A call that fails makes the link pause, and so does
 * a stall (at least three misses of the budget in a row, over three budgets or more). The first pause lasts four
 * budgets; until replies come in time for two budgets, one miss pauses again, each pause twice as long as the last,
 * up to the configured pause ({@link LinkPauses}). During a pause calls return empty at once without touching Redis, so a dead
 * or stalled Redis costs callers little (the calls of one budget wait it out after each pause), and after it the next
 * call tries again. A Redis late at least as often as in time over the 20 budgets after a miss (a brown-out) counts
 * as a stall too, though its replies in time break every run of misses. Connections are made, and remade after a
 * restart of Redis, in the background.
 *
 * <p>One connection is shared by every thread. A server whose requests wait on Redis from Netty event loops can give
 * each loop a connection of its own ({@link #serveOn}): a call made there is then written, and its reply read, on that
 * thread, where the shared connection hands each call to Lettuce's I/O thread and its reply back, two thread wake-ups
 * per decision. Each such loop adds a connection to Redis's count of clients.
 */
public final class RedisLink implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisLink.class);
    /**
     * The least of Lettuce's own timeout, which must come after the budget: a reply late by less would arrive as
     * Lettuce's timeout, a failure that pauses the link. It also bounds how long a command waits in Lettuce's queue,
     * and how long a connection's handshake may take.
     */
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);
    /**
     * Lettuce's timeout for scripts, which bounds how late their replies can still be read
     * ({@link #callAsync(Function, Consumer)}): Redis runs a command it was sent whether or not anyone still reads its
     * reply, so a quota's count is not taken twice for a stall of up to this long.
     */
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(30);
    /** How long closing a connection waits for its connect under way: a local Redis answers one in milliseconds. */
    private static final Duration CLOSE_CONNECT_WAIT = Duration.ofMillis(500);
    /**
     * Tries to load a script ahead on one connection while Redis answers that it cannot yet: ten minutes or more, the
     * tries a second apart after the first few.
     */
    private static final int LOAD_ATTEMPTS = 600;

    private final ClientResources resources;
    private final ClientOptions options;
    private final RedisURI uri;
    private final long budgetNanos;
    private final LinkPauses pauses;
    private final Deadlines deadlines;
    private final LongAdder degraded = new LongAdder();
    /** The connection every thread may use. */
    private final Line shared;
    /** The connections of event loops given their own ({@link #serveOn}); replaced whole, under the lock. */
    private volatile Line[] onLoops = new Line[0];
    private final Object loopsLock = new Object();
    /** Scripts Redis is given whenever a connection is made or remade, ahead of their first run. */
    private final Set<LuaScript> preloaded = ConcurrentHashMap.newKeySet();
    /** When a script was last not taken ahead, so that a Redis that never takes one warns once per longest pause. */
    private volatile long lastLoadWarned;
    /** The longest pause: a loop's connection that could not be made is tried again after it. */
    private final long longestPause;
    /** Outages are warned of at most this often: on a busy host short ones come every few seconds. */
    private static final long OUTAGE_WARNING_QUIET_NANOS = TimeUnit.MINUTES.toNanos(1);
    private final Object outageWarnings = new Object();
    /** When an outage was last warned of, the outage last seen, and those not warned of since: under the lock. */
    private long lastWarned;
    private long lastOutageSeen = LinkPauses.NO_OUTAGE;
    private int outagesUnwarned;
    /** The outage last warned of, by when it began, until its end is logged. */
    private final AtomicLong warnedOutage = new AtomicLong(LinkPauses.NO_OUTAGE);

    private RedisLink(String uri, Duration budget, Duration pause) {
        Objects.requireNonNull(uri, "uri is required, such as redis://127.0.0.1:6379");
        Objects.requireNonNull(budget, "budget is required: how long a decision may wait for Redis");
        Objects.requireNonNull(pause, "pause is required: the longest time to stay away from Redis after a failure");
        if (budget.isNegative() || budget.isZero() || pause.isNegative() || pause.isZero()) {
            throw new IllegalArgumentException("The Redis budget and pause (latchkey.rate-limit.redis-budget and "
                    + ".redis-pause) must be positive, not " + budget + " and " + pause);
        }
        Duration timeout = budget.multipliedBy(2).compareTo(COMMAND_TIMEOUT) > 0 ? budget.multipliedBy(2)
                : COMMAND_TIMEOUT;
        this.uri = RedisURI.create(uri);
        this.uri.setTimeout(timeout);
        this.budgetNanos = budget.toNanos();
        this.pauses = new LinkPauses(budgetNanos, pause.toNanos(), System.nanoTime());
        this.longestPause = pause.toNanos();
        this.lastWarned = System.nanoTime() - OUTAGE_WARNING_QUIET_NANOS;
        this.lastLoadWarned = System.nanoTime() - longestPause;
        // Lettuce backs off up to 30 s between reconnects by default; an edge should be back within a second. Its own
        // latency statistics are not read, and cost its I/O thread time on every reply.
        this.resources = ClientResources.builder()
                .commandLatencyRecorder(CommandLatencyRecorder.disabled())
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        // Fail at once while disconnected instead of queueing behind a reconnect; bound what can pile up.
        this.options = ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(10_000)
                .timeoutOptions(TimeoutOptions.builder().timeoutSource(new ScriptsLater(timeout)).build())
                // A script in flight when its connection closed was decided without it at the budget: sent again on
                // reconnect it would take a bucket's tokens for nothing, or give a quota's counts back twice.
                .replayFilter(RedisLink::isScript)
                .build();
        this.shared = new Line(resources, null);
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
        link.shared.connect();
        return link;
    }

    /**
     * Gives each event loop of {@code loops} a connection of its own, registered on it, so that a call made on one of
     * them is written and its reply read on that thread. Calls from other threads, calls whose results a loop waits
     * for ({@link #await}), and a loop's calls while its connection is not made or not open use the shared
     * connection. Loops of a transport other than Lettuce's (epoll where it loads, else NIO), and loops served
     * already, are left as they are.
     *
     * @return closing it takes these connections away: the loops' calls use the shared connection from then on, and
     * the connections close once the calls sent on them have their reply or are past their budget (close it before
     * the loops shut down, which would close the connections under such calls)
     */
    public LoopConnections serveOn(EventLoopGroup loops) {
        List<Line> made = new ArrayList<>();
        synchronized (loopsLock) {
            for (EventExecutor executor : loops) {
                if (!(executor instanceof EventLoop loop)
                        || Arrays.stream(onLoops).anyMatch(line -> line.loop == loop)) {
                    continue;
                }
                if (!Transports.eventLoopGroupClass().isInstance(loop.parent())) {
                    log.info("Redis calls from the event loops of {} use the shared connection: Lettuce's transport "
                            + "is {}", loop.parent(), Transports.eventLoopGroupClass().getSimpleName());
                    break;
                }
                made.add(new Line(ClientResources.builder()
                        .eventLoopGroupProvider(new OneLoop(loop))
                        .eventExecutorGroup(resources.eventExecutorGroup())
                        .timer(resources.timer())
                        .commandLatencyRecorder(CommandLatencyRecorder.disabled())
                        .reconnectDelay(resources.reconnectDelay())
                        // Resolved where the connection is made, never by Netty on the loop, where it would block.
                        .socketAddressResolver(SocketAddressResolver.create(DnsResolvers.JVM_DEFAULT))
                        .addressResolverGroup(NoopAddressResolverGroup.INSTANCE)
                        .build(), loop));
            }
            onLoops = concat(onLoops, made);
        }
        made.forEach(Line::connect);
        AtomicBoolean closing = new AtomicBoolean();
        return () -> {
            if (!closing.compareAndSet(false, true)) {
                return;
            }
            made.forEach(line -> line.retired = true);
            synchronized (loopsLock) {
                onLoops = Arrays.stream(onLoops).filter(line -> !line.retired).toArray(Line[]::new);
            }
            long until = System.nanoTime() + 2 * budgetNanos;
            while (made.stream().anyMatch(line -> line.inFlight.get() > 0) && System.nanoTime() - until < 0) {
                LockSupport.parkNanos(1_000_000);
            }
            long deadline = System.nanoTime() + CLOSE_CONNECT_WAIT.toNanos();
            made.forEach(line -> line.close(deadline));
        };
    }

    /** What {@link #serveOn} returns. */
    @FunctionalInterface
    public interface LoopConnections extends AutoCloseable {
        @Override
        void close();
    }

    private static Line[] concat(Line[] lines, List<Line> more) {
        Line[] all = Arrays.copyOf(lines, lines.length + more.size());
        for (int i = 0; i < more.size(); i++) {
            all[lines.length + i] = more.get(i);
        }
        return all;
    }

    /**
     * Runs {@code command} and waits for it within the budget; empty when Redis is paused, unreachable, failed or
     * was too slow (a failure or a stall pauses the link).
     */
    public <T> Optional<T> call(Function<RedisAsyncCommands<String, String>, CompletionStage<T>> command) {
        return await(() -> callAsync(command));
    }

    /**
     * Runs {@code calls}, which call this link, and waits for the stage they return. Calls made meanwhile on this
     * thread go to the shared connection: on a loop with a connection of its own, a reply could only be read once
     * the loop stopped waiting here.
     */
    public <T> T await(Supplier<? extends CompletionStage<T>> calls) {
        Line own = ownLine();
        if (own == null) {
            return calls.get().toCompletableFuture().join();
        }
        CompletionStage<T> stage;
        own.awaiting++;
        try {
            stage = calls.get();
        } finally {
            own.awaiting--;
        }
        return stage.toCompletableFuture().join();
    }

    /**
     * Runs {@code command} without waiting for it: the stage completes with its reply, or empty when Redis is paused,
     * unreachable, failed or did not answer within the budget (a failure or a stall pauses the link). It never
     * completes exceptionally, and always within the budget. It completes on the thread that reads the reply (the
     * calling loop's own when its connection of {@link #serveOn} is open, else Lettuce's I/O thread), on the link's
     * deadline thread when the budget runs out, or at once on the calling thread while Redis is paused or not
     * connected, so what depends on it must not block.
     */
    public <T> CompletableFuture<Optional<T>> callAsync(
            Function<RedisAsyncCommands<String, String>, CompletionStage<T>> command) {
        return callAsync(command, null, lineHere());
    }

    /**
     * As {@link #callAsync(Function)}, and when the budget ran out before the reply came, hands the reply to
     * {@code late} if it comes after all (within Lettuce's timeout, {@link #SCRIPT_TIMEOUT} for a script), on the
     * thread that reads it, or on the deadline thread when the two meet: Redis ran the command although the caller
     * decided without it. {@code late} must not block.
     */
    public <T> CompletableFuture<Optional<T>> callAsync(
            Function<RedisAsyncCommands<String, String>, CompletionStage<T>> command, Consumer<? super T> late) {
        return callAsync(command, late, lineHere());
    }

    /** This event loop's own connection when it has one open and waits for no call here, else the shared one. */
    private Line lineHere() {
        Line own = ownLine();
        if (own == null || own.awaiting > 0) {
            return shared;
        }
        StatefulRedisConnection<String, String> current = own.connection;
        if (current == null) {
            own.connect();
        }
        // Not open while Lettuce remakes it after a restart of Redis: a call would fail, and pause the link.
        return current != null && current.isOpen() ? own : shared;
    }

    /** The line of the calling thread's loop; null when it is no served loop. */
    private Line ownLine() {
        for (Line line : onLoops) {
            if (line.loop.inEventLoop()) {
                return line;
            }
        }
        return null;
    }

    private <T> CompletableFuture<Optional<T>> callAsync(
            Function<RedisAsyncCommands<String, String>, CompletionStage<T>> command, Consumer<? super T> late,
            Line line) {
        if (line != shared) {
            line.inFlight.incrementAndGet();
            // Counted first: closing retires the line, then waits for none in flight, so one of the two sees the other.
            if (line.retired) {
                line.inFlight.decrementAndGet();
                line = shared;
            }
        }
        Line sentOn = line;
        int sentIn = pauses.generation();
        StatefulRedisConnection<String, String> current = line.connection;
        if (current == null || !pauses.open(System.nanoTime())) {
            if (current == null) {
                line.connect();
            }
            sentOn.answered();
            return CompletableFuture.completedFuture(Optional.empty());
        }
        CompletableFuture<T> sent;
        try {
            sent = command.apply(current.async()).toCompletableFuture();
        } catch (RuntimeException e) {
            sentOn.answered();
            pause(sentIn, e);
            return CompletableFuture.completedFuture(Optional.empty());
        }
        // A copy, so that running out of budget completes ours and never Lettuce's own command.
        CompletableFuture<T> reply = sent.copy();
        return deadlines.within(reply).handle((value, failure) -> {
            sentOn.answered();
            if (failure == null) {
                long outageBegan = pauses.replied(sentIn, System.nanoTime());
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
            if (late != null && failure instanceof TimeoutException) {
                sent.thenAccept(lateValue -> handLate(late, lateValue));
            }
            return Optional.empty();
        });
    }

    /** Lettuce's timeout of a command: {@link #SCRIPT_TIMEOUT} for scripts, the link's own for the rest. */
    private static final class ScriptsLater extends TimeoutOptions.TimeoutSource {
        private final long commandMillis;
        private final long scriptMillis;

        ScriptsLater(Duration timeout) {
            this.commandMillis = timeout.toMillis();
            this.scriptMillis = Math.max(commandMillis, SCRIPT_TIMEOUT.toMillis());
        }

        @Override
        public long getTimeout(RedisCommand<?, ?, ?> command) {
            return isScript(command) ? scriptMillis : commandMillis;
        }

        @Override
        public TimeUnit getTimeUnit() {
            return TimeUnit.MILLISECONDS;
        }
    }

    private static boolean isScript(RedisCommand<?, ?, ?> command) {
        ProtocolKeyword type = command == null ? null : command.getType();
        return type == CommandType.EVALSHA || type == CommandType.EVAL;
    }

    /**
     * Waits for calls of links (which complete within their budget, never exceptionally) for at most {@code longest}:
     * what a stopping limiter sends last.
     */
    static void awaitAll(List<? extends CompletableFuture<?>> calls, Duration longest) {
        try {
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
                    .get(longest.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.debug("Calls sent while stopping did not all finish", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static <T> void handLate(Consumer<? super T> late, T value) {
        try {
            late.accept(value);
        } catch (RuntimeException e) {
            log.warn("Handling a late Redis reply failed", e);
        }
    }

    /**
     * Has Redis hold {@code script} from now on, loaded on every connection of the link as it is made or remade (after
     * a restart of Redis), so that a decision does not wait for a {@code NOSCRIPT} answer and the {@code EVAL} after
     * it: a fresh edge's first decisions, their code not yet compiled, missed the budget that way. Best effort, without
     * waiting: a decision that comes first, or after a {@code SCRIPT FLUSH}, still loads it by its {@code EVAL}.
     */
    void preload(LuaScript script) {
        // Added first: a connection made after this finds it; one made before is read here.
        if (preloaded.add(script)) {
            StatefulRedisConnection<String, String> current = shared.connection;
            if (current != null && current.isOpen()) {
                shared.load(script, current, shared.connects.get(), 0);
            }
        }
    }

    private void notLoaded(Throwable failure) {
        long now = System.nanoTime();
        if (now - lastLoadWarned >= longestPause) {
            lastLoadWarned = now;
            log.warn("Redis at {} did not take a script ahead ({}); decisions load it when they first run it",
                    address(), failure.toString());
        }
    }

    /** Counts one decision made without Redis; see {@link #degraded()}. */
    public void countDegraded() {
        degraded.increment();
    }

    /** Takes back decisions counted as degraded that served no request ({@link RedisWarmUp}). */
    void uncountDegraded(long decisions) {
        degraded.add(-decisions);
    }

    /** Decisions made from local buckets because Redis was paused, unreachable or too slow. */
    public long degraded() {
        return degraded.sum();
    }

    /**
     * False from a missed budget until a reply comes in time, and from a pause until the outage ends (replies in time
     * for two budgets). A caller about to take a batch (a lease of tokens or of requests) takes a single one
     * instead: a batch whose reply is late is lost to it, though Redis most likely took it, and one at every miss would
     * drain the shared count while Redis is slow.
     */
    public boolean answeringInTime() {
        return pauses.answeringInTime();
    }

    /** True while calls go to Redis; asking starts a connection attempt when there is none. */
    public boolean healthy() {
        if (shared.connection == null) {
            shared.connect();
        }
        return shared.connection != null && pauses.open(System.nanoTime());
    }

    /**
     * Waits until the connection attempt on its way, if any, ends or {@code deadline} ({@link System#nanoTime}) passes:
     * a link is opened without waiting for its connection. Whether the link has one.
     */
    boolean awaitConnection(long deadline) {
        while (shared.connection == null && shared.connecting.get() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(1_000_000);
        }
        return shared.connection != null;
    }

    /**
     * Whether the shared connection is open: for tests, which must know when Lettuce has seen it close, and for
     * {@link RedisWarmUp}, which waits out pauses while there is one.
     */
    boolean sharedConnectionOpen() {
        StatefulRedisConnection<String, String> current = shared.connection;
        return current != null && current.isOpen();
    }

    private void pause(int sentIn, Throwable failure) {
        warnOnce(pauses.pause(sentIn, System.nanoTime()), failure);
    }

    /**
     * Once per outage (its pauses follow one another until replies come in time), and at most once a minute, with the
     * outages since the last warning counted; an outage not warned of is not said to end either. Pauses are rare: the
     * lock is taken only when one begins.
     */
    private void warnOnce(LinkPauses.Pause begun, Throwable failure) {
        if (begun == null) {
            return;
        }
        int unwarned;
        synchronized (outageWarnings) {
            if (begun.outageBegan() == lastOutageSeen) {
                return;
            }
            lastOutageSeen = begun.outageBegan();
            long now = System.nanoTime();
            if (now - lastWarned < OUTAGE_WARNING_QUIET_NANOS) {
                outagesUnwarned++;
                return;
            }
            lastWarned = now;
            unwarned = outagesUnwarned;
            outagesUnwarned = 0;
            warnedOutage.set(begun.outageBegan());
        }
        log.warn("Redis at {} failed or stalled ({}); deciding from local buckets until it answers in time{}",
                address(), unwrap(failure).getClass().getSimpleName(),
                unwarned == 0 ? "" : " (" + unwarned + " more outages since the last such line)");
    }

    /** What failed a call: Lettuce's exception, out of the completion that may wrap it. */
    static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    private String address() {
        return uri.getHost() + ":" + uri.getPort();
    }

    /**
     * A connection and the client that makes it, in the background, and remakes it after a restart of Redis on the
     * same event loop: a gateway's ({@code loop}), or for the shared connection (null) Lettuce's own.
     */
    private final class Line {
        /** The {@code connect} of a load that is never tried again. */
        static final int ONCE = -1;
        final RedisClient client;
        final EventLoop loop;
        final AtomicBoolean connecting = new AtomicBoolean();
        /** A loop's calls sent on it and not yet answered or out of budget, which closing it waits out. */
        final AtomicInteger inFlight = new AtomicInteger();
        volatile StatefulRedisConnection<String, String> connection;
        /** Set when the loop's calls go to the shared connection for good, before it closes. */
        volatile boolean retired;
        volatile boolean closed;
        /** When a loop's connection that could not be made is tried again; the loop uses the shared one meanwhile. */
        volatile long retryAt = System.nanoTime();
        /** Whether the last attempt to make a loop's connection failed, so that a run of failures is logged once. */
        volatile boolean failing;
        /** Calls on the loop waiting for their results ({@link #await}); read and written on the loop's thread only. */
        int awaiting;
        /** Connections made and remade so far: a load still trying on an earlier one stops ({@link #load}). */
        final AtomicInteger connects = new AtomicInteger();
        /** The last connect started, done once its outcome is handled ({@link #made}); guarded by this line. */
        private CompletableFuture<?> attempt = CompletableFuture.completedFuture(null);

        Line(ClientResources resources, EventLoop loop) {
            this.client = RedisClient.create(resources);
            this.loop = loop;
            client.setOptions(options);
            // Lettuce remakes a connection by itself after a restart of Redis, which forgets every script; a loop's
            // connection may be back, and serve decisions, before the shared one.
            client.addListener(new RedisConnectionStateListener() {
                @Override
                public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                    // Called while Lettuce sets the connection up, which a throw here would break.
                    try {
                        if (connection instanceof StatefulRedisConnection<?, ?> made) {
                            @SuppressWarnings("unchecked")
                            StatefulRedisConnection<String, String> strings =
                                    (StatefulRedisConnection<String, String>) made;
                            int connect = connects.incrementAndGet();
                            preloaded.forEach(script -> load(script, strings, connect, 0));
                        }
                    } catch (RuntimeException e) {
                        log.debug("Could not give Redis at {} its scripts ahead", address(), e);
                    }
                }
            });
        }

        void answered() {
            if (this != shared) {
                inFlight.decrementAndGet();
            }
        }

        /**
         * Starts making the connection on Lettuce's worker threads, not the caller's, which may be the loop itself,
         * unless it is being made, or the link is paused; a loop's, unless its retry is not due.
         */
        void connect() {
            long now = System.nanoTime();
            boolean due = loop == null ? pauses.open(now) : now - retryAt >= 0;
            if (closed || !due || !connecting.compareAndSet(false, true)) {
                return;
            }
            try {
                client.getResources().eventExecutorGroup().execute(() -> {
                    try {
                        // Under the line's lock, so that a close either sees this connect or keeps it from starting.
                        synchronized (this) {
                            if (!closed) {
                                attempt = client.connectAsync(StringCodec.UTF8, uri).toCompletableFuture()
                                        .whenComplete(this::made);
                                return;
                            }
                        }
                    } catch (IllegalStateException refused) {
                        // Closed after the check, Lettuce refuses to connect with its resources shut down.
                        if (!closed) {
                            log.warn("Lettuce refused to connect to Redis at {}", address(), refused);
                        }
                    }
                    connecting.set(false);
                });
            } catch (RejectedExecutionException closing) {
                connecting.set(false);
            }
        }

        private void made(StatefulRedisConnection<String, String> made, Throwable failure) {
            if (failure == null) {
                failing = false;
                if (closed) {
                    // A close that came first found none to close: left unset, so that it is not closed twice.
                    made.closeAsync();
                    connecting.set(false);
                    return;
                }
                connection = made;
                if (loop == null) {
                    // Loaded by the listener already; once more, not tried again, for a script added after it ran and
                    // before the connection was set here, where preload looks for it.
                    preloaded.forEach(script -> load(script, made, ONCE, 0));
                }
            } else if (loop == null) {
                if (!closed) {
                    warnOnce(pauses.pauseNow(System.nanoTime()), failure);
                }
            } else {
                // No reason to stay away from Redis: the loop's calls go to the shared connection meanwhile.
                retryAt = System.nanoTime() + longestPause;
                if (!failing && !closed) {
                    failing = true;
                    log.warn("Redis at {} refused a connection of its own to an event loop ({}); its calls use the "
                            + "shared connection, and it is tried again every {} ms", address(),
                            failure.getClass().getSimpleName(), longestPause / 1_000_000);
                }
            }
            connecting.set(false);
        }

        /**
         * Loads {@code script} on {@code connection}, made as the {@code connect}-th, and tries again while Redis
         * answers that it cannot yet ({@code LOADING} while it reads its data from disk after a restart, when it takes
         * connections already; {@code BUSY}; no answer in time), until this connection is remade or closed.
         */
        void load(LuaScript script, StatefulRedisConnection<String, String> connection, int connect, int attempt) {
            script.load(connection.async()).whenComplete((sha, failure) -> {
                if (failure == null || connect != connects.get() || !connection.isOpen()) {
                    return;
                }
                Throwable cause = unwrap(failure);
                boolean notYet = cause instanceof RedisLoadingException || cause instanceof RedisBusyException
                        || cause instanceof RedisCommandTimeoutException;
                if (!notYet || attempt + 1 >= LOAD_ATTEMPTS) {
                    notLoaded(cause);
                    return;
                }
                try {
                    resources.eventExecutorGroup().schedule(() -> load(script, connection, connect, attempt + 1),
                            Math.min(1_000, 10L << Math.min(attempt, 7)), TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException closing) {
                    // The link is closing.
                }
            });
        }

        /**
         * Waits for a connect under way to be made or to fail, until {@code deadline} ({@link System#nanoTime}) at
         * most, before the client shuts down: shut down under it, Netty logs the channel it can no longer register as
         * errors, with traces. The lines of a link share one deadline, {@link #CLOSE_CONNECT_WAIT} away, not the
         * connect timeout each: a Redis whose host drops packets would hold a stopping service for that on every line,
         * past what an orchestrator waits before it kills the process, and the edge's last usage report with it.
         */
        void close(long deadline) {
            CompletableFuture<?> connecting;
            synchronized (this) {
                closed = true;
                connecting = attempt;
            }
            try {
                connecting.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException | CancellationException e) {
                log.debug("Closing the link to Redis at {} while a connection was being made", address(), e);
            }
            StatefulRedisConnection<String, String> current = connection;
            if (current != null) {
                current.close();
            }
            // Its own resources, if any, shut down with it: the loop and what it shares with the link stay.
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            if (loop != null) {
                client.getResources().shutdown(0, 1, TimeUnit.SECONDS);
            }
        }
    }

    /** Lettuce's event loops for one connection: one loop that is not Lettuce's, which it never shuts down. */
    private record OneLoop(EventLoop loop) implements EventLoopGroupProvider {

        @Override
        @SuppressWarnings("unchecked")
        public <T extends EventLoopGroup> T allocate(Class<T> type) {
            // Lettuce asks for its transport's group class and only ever registers channels on what it gets.
            return (T) loop;
        }

        @Override
        public int threadPoolSize() {
            return 1;
        }

        @Override
        public Future<Boolean> release(EventExecutorGroup group, long quietPeriod, long timeout, TimeUnit unit) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
        }

        @Override
        public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit unit) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
        }
    }

    @Override
    public void close() {
        try {
            Line[] lines;
            synchronized (loopsLock) {
                lines = onLoops;
                onLoops = new Line[0];
            }
            long deadline = System.nanoTime() + CLOSE_CONNECT_WAIT.toNanos();
            for (Line line : lines) {
                line.close(deadline);
            }
            shared.close(deadline);
            resources.shutdown(0, 1, TimeUnit.SECONDS);
        } finally {
            deadlines.close();
        }
    }
}
