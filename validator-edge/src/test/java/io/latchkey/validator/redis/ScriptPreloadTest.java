package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.latchkey.api.RateLimit;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The limiters' scripts are given to Redis ahead of their first decision, and again on every connection Lettuce remakes
 * and after a refused load, so that decisions do not wait for a {@code NOSCRIPT} answer and the {@code EVAL} after it;
 * against real, private redis-servers.
 */
class ScriptPreloadTest {

    private static final LuaScript[] SCRIPTS = {ExactRedisRateLimiter.BUCKET, ExactRedisRateLimiter.BUCKET_AND_COUNTER,
            RedisQuotaLimiter.COUNTER};

    private static boolean held(RedisServer redis, LuaScript... scripts) {
        String[] command = new String[scripts.length + 2];
        command[0] = "SCRIPT";
        command[1] = "EXISTS";
        for (int i = 0; i < scripts.length; i++) {
            command[i + 2] = scripts[i].sha();
        }
        List<String> answers = redis.cli(command).lines().toList();
        return answers.size() == scripts.length && answers.stream().allMatch("1"::equals);
    }

    private static void awaitHeld(RedisServer redis, LuaScript... scripts) throws InterruptedException {
        for (int i = 0; i < 250 && !held(redis, scripts); i++) {
            Thread.sleep(20);
        }
        assertThat(held(redis, scripts)).as("the scripts held by Redis").isTrue();
    }

    @Test
    void everyScriptIsInRedisBeforeTheFirstDecisionAndAfterRedisRestarts() throws Exception {
        try (RedisServer redis = new RedisServer();
             RedisLink link = RedisLink.open(redis.uri(), Duration.ofMillis(200), Duration.ofMillis(100))) {
            ExactRedisRateLimiter limiter = new ExactRedisRateLimiter(link);
            RedisQuotaLimiter quota = RedisQuotaLimiter.exact(link);

            awaitHeld(redis, SCRIPTS);
            RateLimit tenPerHour = new RateLimit(10, 3600, null);
            assertThat(limiter.acquireWithQuota(UUID.randomUUID().toString(), tenPerHour, quota, 15, Instant.now())
                    .quota().used()).isEqualTo(1);
            assertThat(limiter.acquire(UUID.randomUUID().toString(), tenPerHour).remaining()).isEqualTo(9);
            assertThat(quota.consume(UUID.randomUUID().toString(), 15, Instant.now()).used()).isEqualTo(1);
            assertThat(redis.calls("eval")).as("scripts sent whole after a NOSCRIPT answer").isZero();

            redis.stop();
            redis.start();
            // No decision in between: the link, remaking its connection, gives the restarted Redis every script.
            awaitHeld(redis, SCRIPTS);
        }
    }

    /** The id Redis gives the connection that runs a call made on {@code loop}, or on this thread when null. */
    private static long clientId(RedisLink link, EventLoop loop) {
        if (loop == null) {
            return link.call(commands -> commands.clientId()).orElseThrow();
        }
        CompletableFuture<Long> id = new CompletableFuture<>();
        loop.execute(() -> link.<Long>callAsync(commands -> commands.clientId())
                .thenAccept(reply -> id.complete(reply.orElseThrow())));
        return id.orTimeout(5, TimeUnit.SECONDS).join();
    }

    @Test
    void aLoopsConnectionRemadeAloneGivesRedisTheScriptsAgain() throws Exception {
        EventLoopGroup loops = Epoll.isAvailable() ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
        try (RedisServer redis = new RedisServer();
             RedisLink link = RedisLink.open(redis.uri(), Duration.ofSeconds(1), Duration.ofMillis(100));
             RedisLink.LoopConnections served = link.serveOn(loops)) {
            RedisServer.awaitReachable(link);
            new ExactRedisRateLimiter(link);
            awaitHeld(redis, ExactRedisRateLimiter.BUCKET);
            EventLoop loop = loops.next();
            long sharedConnection = clientId(link, null);
            // The loop's connection is made in the background; its calls use the shared one until it is open.
            await().atMost(Duration.ofSeconds(5)).until(() -> clientId(link, loop) != sharedConnection);
            long loopsConnection = clientId(link, loop);

            assertThat(redis.cli("SCRIPT", "FLUSH").strip()).isEqualTo("OK");
            assertThat(held(redis, ExactRedisRateLimiter.BUCKET)).isFalse();
            assertThat(redis.cli("CLIENT", "KILL", "ID", Long.toString(loopsConnection)).strip()).isEqualTo("1");

            // Only the loop's connection was remade, by Lettuce, and no decision ran.
            awaitHeld(redis, ExactRedisRateLimiter.BUCKET);
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aLoadRefusedWhileARestartedRedisReadsItsDataIsTriedAgain() throws Exception {
        try (RedisServer redis = new RedisServer();
             RedisLink link = RedisLink.open(redis.uri(), Duration.ofSeconds(1), Duration.ofMillis(100))) {
            RedisServer.awaitReachable(link);
            new ExactRedisRateLimiter(link);
            awaitHeld(redis, ExactRedisRateLimiter.BUCKET);
            // Data for Redis to read at its next start, slowly (about 2 s), taking connections meanwhile.
            redis.cli("EVAL", "for i = 1, 20000 do redis.call('SET', 'fill:' .. i, 'x') end", "0");
            assertThat(redis.cli("SAVE").strip()).isEqualTo("OK");
            redis.stop();

            redis.start("--key-load-delay", "100", "--loading-process-events-interval-bytes", "1024");
            assertThat(redis.cli("SCRIPT", "LOAD", "return 1")).as("refused while loading").startsWith("LOADING");

            // The link reconnects within a second, while Redis still answers LOADING.
            awaitHeld(redis, ExactRedisRateLimiter.BUCKET);
            assertThat(redis.cli("DBSIZE").strip()).isEqualTo("20000");
        }
    }

    @Test
    void aLimiterMadeOnAConnectedLinkHasItsScriptLoaded() throws Exception {
        try (RedisServer redis = new RedisServer();
             RedisLink link = RedisLink.open(redis.uri(), Duration.ofMillis(200), Duration.ofMillis(100))) {
            RedisServer.awaitReachable(link);

            new LocalSyncRateLimiter(link, Duration.ofMillis(100)).close();

            awaitHeld(redis, ExactRedisRateLimiter.BUCKET);
        }
    }
}
