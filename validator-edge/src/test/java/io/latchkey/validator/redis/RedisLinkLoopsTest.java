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

    /** An INCR called on {@code loop}, as a gateway's request would call it. */
    private Answered incrOn(EventLoop loop) {
        CompletableFuture<Answered> answered = new CompletableFuture<>();
        loop.execute(() -> link.<Long>callAsync(commands -> commands.incr(key))
                .thenAccept(reply -> answered.complete(new Answered(reply, Thread.currentThread()))));
        return answered.orTimeout(5, TimeUnit.SECONDS).join();
    }

    private Thread threadOf(EventLoop loop) {
        return CompletableFuture.supplyAsync(Thread::currentThread, loop).join();
    }

    /**
     * Calls until Redis's reply to one is read on the loop's own thread, once its connection is made (a call answered
     * empty at once, with no connection yet, completes there too), and asserts that one was.
     */
    private void awaitAnsweredOnItsOwnThread(EventLoop loop) throws InterruptedException {
        Thread own = threadOf(loop);
        Answered answered = incrOn(loop);
        for (int i = 0; i < 250 && (answered.thread() != own || answered.reply().isEmpty()); i++) {
            Thread.sleep(20);
            answered = incrOn(loop);
        }
        assertThat(answered.reply()).isPresent();
        assertThat(answered.thread()).isEqualTo(own);
    }

    @Test
    void aCallMadeOnAServedLoopIsSentAndAnsweredOnThatLoop() throws Exception {
        link.serveOn(loops);
        for (var executor : loops) {
            awaitAnsweredOnItsOwnThread((EventLoop) executor);
        }
        long before = Long.parseLong(redis.cli("GET", key).strip());
        for (var executor : loops) {
            assertThat(incrOn((EventLoop) executor).reply()).isPresent();
        }
        assertThat(Long.parseLong(redis.cli("GET", key).strip())).isEqualTo(before + 2);
    }

    @Test
    void callsWhoseResultsAServedLoopWaitsForGoThroughTheSharedConnection() throws Exception {
        link.serveOn(loops);
        EventLoop loop = loops.next();
        awaitAnsweredOnItsOwnThread(loop);
        for (int i = 0; i < 250 && !link.healthy(); i++) {
            Thread.sleep(20);
        }
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
        awaitAnsweredOnItsOwnThread(loop);
        for (int i = 0; i < 250 && !link.healthy(); i++) {
            Thread.sleep(20);
        }
        own.close();
        Answered answered = incrOn(loop);
        assertThat(answered.reply()).isPresent();
        assertThat(answered.thread()).isNotEqualTo(threadOf(loop));
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
        awaitAnsweredOnItsOwnThread(loop);
        redis.stop();
        assertThat(incrOn(loop).reply()).isEmpty();
        redis.start();
        awaitAnsweredOnItsOwnThread(loop);
    }
}
