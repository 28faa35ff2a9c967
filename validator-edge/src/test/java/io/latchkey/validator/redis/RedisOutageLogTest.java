package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.latchkey.validator.LogCapture;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** On a busy host Redis misses its budget in short bursts every few seconds: a warning each time would flood the log. */
class RedisOutageLogTest {

    @Test
    void outagesAreWarnedOfAtMostOnceAMinuteAndOnlyAWarnedOneIsSaidToEnd() throws InterruptedException {
        List<ILoggingEvent> logged;
        try (RedisServer own = new RedisServer();
             RedisLink link = RedisLink.open(own.uri(), Duration.ofMillis(50), Duration.ofMillis(100));
             LogCapture log = LogCapture.of(RedisLink.class)) {
            logged = log.events();
            RedisServer.awaitReachable(link);
            for (int outage = 0; outage < 2; outage++) {
                own.stop();
                long degraded = link.degraded();
                for (int i = 0; i < 250 && link.call(commands -> commands.ping()).isPresent(); i++) {
                    Thread.sleep(20);
                }
                assertThat(link.degraded()).as("outage " + outage).isGreaterThanOrEqualTo(degraded);
                own.start();
                RedisServer.awaitReachable(link);
                // An outage ends with replies in time over two budgets.
                for (int i = 0; i < 25; i++) {
                    link.call(commands -> commands.ping());
                    Thread.sleep(20);
                }
            }
        }

        assertThat(logged).filteredOn(event -> event.getLevel().isGreaterOrEqual(Level.INFO))
                .map(ILoggingEvent::getFormattedMessage)
                .filteredOn(line -> line.contains("failed or stalled") || line.contains("answers in time again"))
                .satisfiesExactly(
                        line -> assertThat(line).contains("failed or stalled"),
                        line -> assertThat(line).contains("answers in time again"));
    }
}
