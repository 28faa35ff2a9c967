package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class FailureLogTest {

    @Test
    void aFailureAfterAQuietMinuteBeginsARunOfItsOwnSoTheHealthNamesWhenThisOneBegan() {
        AtomicLong now = new AtomicLong(1_000);
        FailureLog failures = new FailureLog(LoggerFactory.getLogger(FailureLogTest.class), now::get);
        failures.failed("status", "failed with {}", "503");
        now.addAndGet(59_000);
        failures.failed("status", "failed with {}", "503");
        assertThat(failures.failing()).isEqualTo(new FailureLog.Failing("status", 1_000, 60_000, 2));

        now.addAndGet(60_000);
        failures.failed("timeout", "timed out after {}", "2s");
        assertThat(failures.failing()).isEqualTo(new FailureLog.Failing("timeout", 120_000, 120_000, 1));

        failures.gotThrough("answers again: {} after {}", "subject");
        assertThat(failures.failing()).isNull();
    }
}
