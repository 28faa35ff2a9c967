package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.latchkey.api.RateLimit;
import io.latchkey.validator.LogCapture;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A link closed at once after it was opened, its connection still being made, closes without a word. */
class RedisLinkCloseTest {

    private static final RedisServer redis = new RedisServer();

    @AfterAll
    static void stop() {
        redis.close();
    }

    @Test
    void aLinkClosedWhileItsConnectionIsBeingMadeLogsNothingAboveDebug() throws InterruptedException {
        List<ILoggingEvent> logged;
        try (LogCapture log = LogCapture.of(Logger.ROOT_LOGGER_NAME)) {
            logged = log.events();
            // Closed at once: the connection is still being made, at any of its steps as the cycles go.
            for (int cycle = 0; cycle < 100; cycle++) {
                RedisLink.open(redis.uri(), Duration.ofMillis(5), Duration.ofSeconds(1)).close();
            }
            // As a service stopped right after its start: the limiters made, one decision, all closed.
            for (int cycle = 0; cycle < 20; cycle++) {
                try (RedisLink link = RedisLink.open(redis.uri(), Duration.ofMillis(5), Duration.ofSeconds(1));
                     LocalSyncRateLimiter rateLimiter = new LocalSyncRateLimiter(link, Duration.ofSeconds(1));
                     RedisQuotaLimiter ignored = RedisQuotaLimiter.leased(link)) {
                    rateLimiter.acquire("key-" + cycle, new RateLimit(10, 1, null));
                }
            }
            // Until Lettuce's threads have ended: what they log when shut down under a connect comes after close.
            for (int i = 0; i < 100 && Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(thread -> thread.getName().startsWith("lettuce-")); i++) {
                Thread.sleep(50);
            }
        }
        // Links of other tests in this JVM to their own servers, stopped by now, log their reconnects meanwhile.
        Pattern otherServer = Pattern.compile("(Reconnecting|Cannot reconnect).*127\\.0\\.0\\.1[^:]*:(?!"
                + redis.port() + "\\b)\\d+.*", Pattern.DOTALL);
        assertThat(logged).filteredOn(event -> event.getLevel().isGreaterOrEqual(Level.INFO))
                .extracting(ILoggingEvent::getFormattedMessage)
                .filteredOn(message -> !otherServer.matcher(message).matches()).isEmpty();
    }
}
