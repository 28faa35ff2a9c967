package io.latchkey.validator.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.testing.SettableClock;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.LogCapture;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a validator tells the log as its replica becomes current, stops being current and is current again. */
class ReplicaCurrencyLogTest {

    private static final Instant NOW = Instant.parse("2026-12-07T06:00:00Z");

    @Test
    void theLogSaysWhenTheReplicaIsCurrentWhenItStopsAndWhyAtMostOnceAMinute() throws InterruptedException {
        List<ILoggingEvent> logged;
        try (LogCapture log = LogCapture.of(KeyValidator.class); TestCluster cluster = new TestCluster()) {
            logged = log.events();
            HazelcastInstance member = cluster.startMember();
            ReplicaWriter writer = ReplicaWriter.of(member);
            SettableClock clock = new SettableClock(NOW);
            KeyValidator validator = validator(member, clock, Duration.ofSeconds(5));
            assertThat(validator.isCurrent()).as("nothing published").isFalse();

            caughtUp(writer, validator, NOW);
            clock.set(NOW.plusSeconds(6));
            assertThat(validator.isCurrent()).isFalse();
            assertThat(validator.isCurrent()).as("asked again: nothing more logged").isFalse();
            caughtUp(writer, validator, NOW.plusSeconds(6));
            // Leaving and coming back within the minute: neither logged, the departure counted.
            clock.set(NOW.plusSeconds(13));
            assertThat(validator.isCurrent()).isFalse();
            caughtUp(writer, validator, NOW.plusSeconds(13));
            clock.set(NOW.plusSeconds(80));
            assertThat(validator.isCurrent()).isFalse();
            caughtUp(writer, validator, NOW.plusSeconds(80));
            // Leaving within the minute and staying away: told once the minute is over.
            clock.set(NOW.plusSeconds(90));
            assertThat(validator.isCurrent()).isFalse();
            clock.set(NOW.plusSeconds(141));
            assertThat(validator.isCurrent()).isFalse();
            assertThat(validator.isCurrent()).isFalse();
            caughtUp(writer, validator, NOW.plusSeconds(141));

            // Never current since it was opened: told once its first half minute is over.
            SettableClock later = new SettableClock(NOW.plusSeconds(200));
            KeyValidator behind = validator(member, later, Duration.ofSeconds(1));
            // Complete, as the replica finds once it has read what was published: behind is what keeps it out.
            for (int i = 0; i < 300 && !behind.replica().isReady(); i++) {
                Thread.sleep(10);
            }
            assertThat(behind.isCurrent()).isFalse();
            later.set(NOW.plusSeconds(231));
            assertThat(behind.isCurrent()).isFalse();
        }

        assertThat(logged).map(event -> event.getLevel() + " " + event.getFormattedMessage()).satisfiesExactly(
                line -> assertThat(line).startsWith("INFO The key replica is current 0.0 s after it was opened ("),
                line -> assertThat(line).isEqualTo("WARN The key replica is not current: it is 6000 ms behind the "
                        + "event log, more than its bound (5000 ms: maxLag, latchkey.replica.max-lag in a service): "
                        + "the query sides publish the log's "
                        + "progress as they read it, so they, or the command side that appends to the log, are down, "
                        + "cut off or behind (as while a query side replays the log). Keys are not decided from it "
                        + "until it is"),
                line -> assertThat(line).startsWith("INFO The key replica is current again after 0.0 s (0 entries, "
                        + "0 ms behind"),
                line -> assertThat(line).startsWith("WARN The key replica is not current: it is 67000 ms behind")
                        .endsWith("it stopped being current 1 more times since this was last logged"),
                line -> assertThat(line).startsWith("INFO The key replica is current again after 0.0 s"),
                line -> assertThat(line).startsWith("WARN The key replica has not been current for 51.0 s: it is "
                        + "61000 ms behind").endsWith("it stopped being current 1 times since this was last logged"),
                line -> assertThat(line).startsWith("INFO The key replica is current again after 51.0 s"),
                line -> assertThat(line).startsWith("WARN The key replica has not been current since it was opened "
                        + "31.0 s ago: it is 90000 ms behind"));
    }

    private static KeyValidator validator(HazelcastInstance member, SettableClock clock, Duration maxLag) {
        return KeyValidator.builder().replica(HazelcastKeyReplica.of(member)).hasher(KeyHasher.sha256())
                .clock(clock).maxLag(maxLag).build();
    }

    /** Publishes that the log is read up to {@code at}, and waits until the validator is current with it. */
    private static void caughtUp(ReplicaWriter writer, KeyValidator validator, Instant at)
            throws InterruptedException {
        writer.publishCaughtUp(at);
        // The replica reads what was published at most every 10 ms.
        for (int i = 0; i < 300 && !validator.isCurrent(); i++) {
            Thread.sleep(10);
        }
        assertThat(validator.isCurrent()).isTrue();
    }
}
