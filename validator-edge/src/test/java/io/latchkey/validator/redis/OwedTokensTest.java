package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.RateLimit;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OwedTokensTest {

    /** Ten a minute: the bucket fills from empty in a minute. */
    private static final RateLimit TEN_A_MINUTE = new RateLimit(10, 60, null);

    private final AtomicLong now = new AtomicLong();
    private final OwedTokens owed = new OwedTokens(now::get, Runnable::run);

    @Test
    void whatIsOwedIsTakenOnceWithWhatWasGivenBackSubtracted() {
        owed.add("k", TEN_A_MINUTE, 3);
        owed.add("k", TEN_A_MINUTE, -1);

        assertThat(owed.take("k")).isEqualTo(2);
        assertThat(owed.take("k")).isZero();
        assertThat(owed.take("other")).isZero();
    }

    @Test
    void aDebtIsAtMostWhatTheLocalBucketMisses() {
        for (int i = 0; i < 600; i++) {
            owed.add("k", TEN_A_MINUTE, 1, 2);
        }

        assertThat(owed.take("k")).isEqualTo(2);
    }

    @Test
    void aDebtThatComesToNothingIsNotKept() {
        owed.add("k", TEN_A_MINUTE, 1);
        owed.add("k", TEN_A_MINUTE, -1);

        assertThat(owed.keys()).isZero();
    }

    @Test
    void aDebtTheSharedBucketHasHadTimeToFillUpSinceIsDropped() {
        owed.add("k", TEN_A_MINUTE, 4);
        now.addAndGet(Duration.ofSeconds(61).toNanos());

        assertThat(owed.take("k")).isZero();

        owed.add("k", TEN_A_MINUTE, 4);
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        owed.add("k", TEN_A_MINUTE, 1);
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        assertThat(owed.take("k")).as("each addition starts the time again").isEqualTo(5);
    }

    @Test
    void addingToADebtTheSharedBucketHasOutlivedStartsItAgain() {
        owed.add("k", TEN_A_MINUTE, 4);
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        owed.add("k", TEN_A_MINUTE, 1);

        assertThat(owed.take("k")).isEqualTo(1);
    }

    @Test
    void keysOwingNothingAnyMoreAreSweptOnceThereAreMany() {
        for (int i = 0; i < OwedTokens.SWEEP_FLOOR; i++) {
            owed.add("old-" + i, TEN_A_MINUTE, 1);
        }
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        owed.add("new", TEN_A_MINUTE, 1);

        assertThat(owed.keys()).isEqualTo(1);
        assertThat(owed.take("new")).isEqualTo(1);
    }
}
