package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CoarseClockTest {

    @Test
    void readsItsSourceOnEveryTickAndAnswersFromTheLastReadingInBetween() throws Exception {
        AtomicLong source = new AtomicLong(1_000);
        try (CoarseClock clock = new CoarseClock(() -> Instant.ofEpochMilli(source.get()), Duration.ofMillis(5))) {
            assertThat(clock.millis()).isEqualTo(1_000);
            source.set(2_000);
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (clock.millis() != 2_000 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(clock.millis()).isEqualTo(2_000);
            assertThat(clock.instant()).isEqualTo(Instant.ofEpochMilli(2_000));
        }
    }

    @Test
    void stopsReadingOnceClosed() throws Exception {
        AtomicLong source = new AtomicLong(1_000);
        CoarseClock clock = new CoarseClock(() -> Instant.ofEpochMilli(source.get()), Duration.ofMillis(1));
        clock.close();
        Thread.sleep(20);
        source.set(2_000);
        Thread.sleep(20);
        assertThat(clock.millis()).isEqualTo(1_000);
    }
}
