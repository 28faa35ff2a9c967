package io.latchkey.validator.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.validator.QuotaState;
import java.time.Instant;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LocalQuotaLimiterTest {

    private static final Instant JAN = Instant.parse("2027-01-31T23:00:00Z");

    @Test
    void admitsUpToTheQuotaThenDeniesUntilTheMonthEnds() {
        LocalQuotaLimiter limiter = LocalQuotaLimiter.create();
        for (int i = 1; i <= 3; i++) {
            QuotaState state = limiter.consume("k", 3, JAN);
            assertThat(state.allowed()).isTrue();
            assertThat(state.remaining()).isEqualTo(3 - i);
        }
        QuotaState denied = limiter.consume("k", 3, JAN);
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.used()).isEqualTo(3);
        assertThat(denied.resetSeconds()).isEqualTo(3600);
        assertThat(limiter.consume("k", 3, Instant.parse("2027-02-01T00:00:00Z")).allowed()).isTrue();
    }

    @Test
    void aQuotaUsedUpIsKnownWithoutCountingForItsMonthAndQuotaOnly() {
        LocalQuotaLimiter limiter = LocalQuotaLimiter.create();
        assertThat(limiter.usedUp("k", 2, JAN)).isNull();
        limiter.consume("k", 2, JAN);
        assertThat(limiter.usedUp("k", 2, JAN)).as("one of two used").isNull();
        limiter.consume("k", 2, JAN);

        QuotaState usedUp = limiter.usedUp("k", 2, JAN);

        assertThat(usedUp.allowed()).isFalse();
        assertThat(usedUp.used()).isEqualTo(2);
        assertThat(usedUp.resetSeconds()).isEqualTo(3600);
        assertThat(limiter.usedUp("k", 3, JAN)).as("a raised quota").isNull();
        assertThat(limiter.usedUp("k", 2, Instant.parse("2027-02-01T00:00:00Z"))).as("the next month").isNull();
        assertThat(limiter.usedUp("other", 2, JAN)).isNull();
        assertThat(limiter.consume("k", 2, JAN).used()).as("asking counted nothing").isEqualTo(2);
    }

    @Test
    void theFirstRequestOfAMonthDropsTheCountsOfMonthsBeforeTheLastOne() {
        LocalQuotaLimiter limiter = LocalQuotaLimiter.create();
        for (int i = 0; i < 100; i++) {
            limiter.consume("january-" + i, 3, JAN);
        }
        limiter.consume("february", 3, Instant.parse("2027-02-01T00:00:01Z"));
        assertThat(ForkJoinPool.commonPool().awaitQuiescence(10, TimeUnit.SECONDS)).isTrue();
        assertThat(limiter.keys()).as("the month just ended is kept").isEqualTo(101);

        limiter.consume("march", 3, Instant.parse("2027-03-01T00:00:01Z"));
        assertThat(ForkJoinPool.commonPool().awaitQuiescence(10, TimeUnit.SECONDS)).isTrue();
        assertThat(limiter.keys()).isEqualTo(2);
    }

    @Test
    void aClockSteppedIntoTheNextMonthAndBackKeepsTheMonthsCounts() {
        LocalQuotaLimiter limiter = LocalQuotaLimiter.create();
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.consume("k", 3, JAN).allowed()).isTrue();
        }
        limiter.consume("other", 3, Instant.parse("2027-02-01T00:00:01Z"));
        assertThat(ForkJoinPool.commonPool().awaitQuiescence(10, TimeUnit.SECONDS)).isTrue();

        assertThat(limiter.consume("k", 3, JAN).allowed()).as("still spent").isFalse();
    }

    @Test
    void theSecondsToTheNextMonthAreRoundedUpSoThatWaitingThemReachesIt() {
        QuotaState state = LocalQuotaLimiter.create().consume("k", 3, Instant.parse("2027-01-31T23:59:58.200Z"));
        assertThat(state.resetSeconds()).isEqualTo(2);
    }

    /** A request stamped just before midnight may be decided after one of the new month: it starts nothing again. */
    @Test
    void aLateRequestOfTheMonthBeforeLeavesTheNewMonthsCount() {
        LocalQuotaLimiter limiter = LocalQuotaLimiter.create();
        Instant february = Instant.parse("2027-02-01T00:00:01Z");
        assertThat(limiter.consume("k", 1, february).allowed()).isTrue();
        limiter.consume("k", 1, Instant.parse("2027-01-31T23:59:59.999Z"));

        assertThat(limiter.consume("k", 1, february).allowed()).as("February's single request already taken").isFalse();
    }

    @Test
    void keysCountApart() {
        LocalQuotaLimiter limiter = LocalQuotaLimiter.create();
        assertThat(limiter.consume("a", 1, JAN).allowed()).isTrue();
        assertThat(limiter.consume("a", 1, JAN).allowed()).isFalse();
        assertThat(limiter.consume("b", 1, JAN).allowed()).isTrue();
    }
}
