package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.RateLimitState;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Event loops given connections of their own ({@link RedisLink#serveOn}), against a real, private redis-server and
 * Netty loops of the transport a gateway uses here.
 */
class RedisLinkLoopsTest {

    /** The reply to a call, and the thread that read it. */
    private record Answered(Optional<Long> reply, Thread thread) {
    }

    private RedisServer redis;
    private RedisLink link;
    private EventLoopGroup loops;
    private final String key = "latchkey:test:" + UUID.randomUUID();

    @BeforeEach
    void start() {
        redis = new RedisServer();
        // A budget that a slow machine's hiccup does not miss; the pause short, for the restart.
        link = RedisLink.open(redis.uri(), Duration.ofSeconds(1), Duration.ofMillis(200));
        loops = Epoll.isAvailable() ? new EpollEventLoopGroup(2) : new NioEventLoopGroup(2);
    }

    @AfterEach
    void stop() {
        link.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        redis.close();
    }

    /**
     * The id Redis gives the connection that ran a call made on {@code loop} (as a gateway's request would make it),
     * and the thread that read the reply: the loop's own when the call went out on its connection (a reply read on
     * another thread before the loop had asked for it would also finish there, so the id tells the connections apart).
     */
    private Answered clientIdOn(EventLoop loop) {
        CompletableFuture<Answered> answered = new CompletableFuture<>();
        loop.execute(() -> link.<Long>callAsync(commands -> commands.clientId())
                .thenAccept(reply -> answered.complete(new Answered(reply, Thread.currentThread()))));
        return answered.orTimeout(5, TimeUnit.SECONDS).join();
    }

    /** The shared connection's id, asked from a thread that is no loop, once it is connected. */
    private long sharedClientId() throws InterruptedException {
        Optional<Long> id = link.call(commands -> commands.clientId());
        for (int i = 0; i < 250 && id.isEmpty(); i++) {
            Thread.sleep(20);
            id = link.call(commands -> commands.clientId());
        }
        return id.orElseThrow();
    }

    private Thread threadOf(EventLoop loop) {
        return CompletableFuture.supplyAsync(Thread::currentThread, loop).join();
    }

    /**
     * Calls on the loop until one runs on a connection other than the shared one (its own, once made), and asserts
     * that it did, and that its reply was read on the loop's own thread.
     */
    private void awaitItsOwnConnection(EventLoop loop) throws InterruptedException {
        long shared = sharedClientId();
        Answered answered = clientIdOn(loop);
        for (int i = 0; i < 250 && answered.reply().orElse(shared) == shared; i++) {
            Thread.sleep(20);
            answered = clientIdOn(loop);
        }
        assertThat(answered.reply()).isPresent().isNotEqualTo(Optional.of(shared));
        assertThat(answered.thread()).isEqualTo(threadOf(loop));
    }

    @Test
    void aCallMadeOnAServedLoopIsSentAndAnsweredOnThatLoop() throws Exception {
        link.serveOn(loops);
        for (var executor : loops) {
            awaitItsOwnConnection((EventLoop) executor);
        }
        // Two loops, two connections of their own, and the shared one.
        assertThat(clientIdOn((EventLoop) loops.next()).reply()).isNotEqualTo(clientIdOn((EventLoop) loops.next())
                .reply());
    }

    @Test
    void callsWhoseResultsAServedLoopWaitsForGoThroughTheSharedConnection() throws Exception {
        link.serveOn(loops);
        EventLoop loop = loops.next();
        awaitItsOwnConnection(loop);
        long degraded = link.degraded();
        // On the loop's own connection a reply could only be read once the loop is free again: after the budget.
        Optional<String> pong = CompletableFuture.supplyAsync(() -> link.call(commands -> commands.ping()), loop)
                .orTimeout(5, TimeUnit.SECONDS).join();
        RateLimitState limited = CompletableFuture.supplyAsync(
                        () -> new ExactRedisRateLimiter(link).acquire(key + ":limit", new RateLimit(5, 60, null)), loop)
                .orTimeout(5, TimeUnit.SECONDS).join();
        assertThat(pong).contains("PONG");
        assertThat(limited.remaining()).isEqualTo(4);
        assertThat(link.degraded()).isEqualTo(degraded);
    }

    @Test
    void onceTheLoopsConnectionsAreClosedTheirCallsUseTheSharedConnection() throws Exception {
        RedisLink.LoopConnections own = link.serveOn(loops);
        EventLoop loop = loops.next();
        awaitItsOwnConnection(loop);
        own.close();
        assertThat(clientIdOn(loop).reply()).contains(sharedClientId());
        // The shared connection and redis-cli's own, once Redis has seen the loops' connections go.
        long clients = 0;
        for (int i = 0; i < 250 && (clients = redis.cli("CLIENT", "LIST").lines().count()) != 2; i++) {
            Thread.sleep(20);
        }
        assertThat(clients).isEqualTo(2);
    }

    @Test
    void aServedLoopsConnectionIsRemadeOnThatLoopAfterRedisRestarts() throws Exception {
        link.serveOn(loops);
        EventLoop loop = loops.next();
        awaitItsOwnConnection(loop);
        redis.stop();
        assertThat(clientIdOn(loop).reply()).isEmpty();
        redis.start();
        awaitItsOwnConnection(loop);
    }
}
