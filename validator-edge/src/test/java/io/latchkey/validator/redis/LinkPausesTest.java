package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The pause rule on its own, with the clock in the test's hands: budgets of 5 ms, pauses of at most 1 s. */
class LinkPausesTest {

    private static final long MS = 1_000_000;
    private static final long BUDGET = 5 * MS;
    private static final long LONGEST = 1_000 * MS;
    private static final long T0 = 1_000_000 * MS;

    private final LinkPauses pauses = new LinkPauses(BUDGET, LONGEST, T0);

    /** Misses of calls sent in the current generation at the given times; true when the last made a stall. */
    private boolean misses(long... at) {
        int generation = pauses.generation();
        boolean stalled = false;
        for (long now : at) {
            stalled = pauses.missed(generation, now);
        }
        return stalled;
    }

    private long pauseAt(long now) {
        return pauses.pause(pauses.generation(), now).nanos();
    }

    @Test
    void aBurstOfMissesWithinOneBudgetIsNotAStall() {
        assertThat(misses(T0, T0 + 1, T0 + 2, T0 + MS, T0 + 4 * MS)).isFalse();
    }

    @Test
    void threeMissesInARowOverThreeBudgetsAreAStall() {
        assertThat(misses(T0, T0 + 7 * MS)).isFalse();
        assertThat(misses(T0 + 15 * MS)).isTrue();
    }

    @Test
    void twoMissesAreNotAStallHoweverFarApart() {
        assertThat(misses(T0, T0 + 60_000 * MS)).isFalse();
    }

    @Test
    void aDeadRedisAtLowTrafficIsAStall() {
        // One call a second, each timing out: idle between them, yet nothing came back in time.
        assertThat(misses(T0, T0 + 1_000 * MS, T0 + 2_000 * MS)).isTrue();
    }

    @Test
    void aReplyInTimeEndsTheRunOfMisses() {
        misses(T0, T0 + 10 * MS);
        assertThat(pauses.replied(pauses.generation(), T0 + 12 * MS)).isEqualTo(LinkPauses.NO_OUTAGE);
        assertThat(misses(T0 + 20 * MS, T0 + 30 * MS)).isFalse();
        assertThat(misses(T0 + 40 * MS)).isTrue();
    }

    @Test
    void aRedisLateTwiceForEveryReplyInTimeIsABrownOutOnceTwentyBudgetsHavePassed() {
        int generation = pauses.generation();
        long stalledAt = -1;
        // Two calls in three late, one call every half a millisecond: no three misses in a row.
        for (long now = T0, call = 0; now < T0 + 200 * MS && stalledAt < 0; now += MS / 2, call++) {
            if (call % 3 == 2) {
                pauses.replied(generation, now);
            } else if (pauses.missed(generation, now)) {
                stalledAt = now;
            }
        }
        assertThat(stalledAt - T0).isBetween(100 * MS, 101 * MS);
    }

    @Test
    void aBrownOutStaysOneOutageWhosePausesDoubleThoughSomeRepliesComeInTime() {
        pauseAt(T0);
        // After the pause a reply comes in time, then a call sent with it is late: the outage goes on.
        assertThat(pauses.replied(pauses.generation(), T0 + 21 * MS)).isEqualTo(LinkPauses.NO_OUTAGE);
        assertThat(misses(T0 + 25 * MS)).isTrue();
        assertThat(pauseAt(T0 + 25 * MS)).isEqualTo(40 * MS);
        assertThat(pauses.replied(pauses.generation(), T0 + 66 * MS)).isEqualTo(LinkPauses.NO_OUTAGE);
        assertThat(misses(T0 + 68 * MS)).isTrue();
        assertThat(pauseAt(T0 + 68 * MS)).isEqualTo(80 * MS);
    }

    @Test
    void aCallSentAfterTheFirstReplyInTimeAndLateStillFindsTheOutage() {
        pauseAt(T0);
        // Replies to calls sent as the pause ended; one sent between them is late, which shows a budget on.
        pauses.replied(pauses.generation(), T0 + 20 * MS + MS / 3);
        pauses.replied(pauses.generation(), T0 + 20 * MS + MS / 2);
        assertThat(pauses.replied(pauses.generation(), T0 + 25 * MS + MS / 3)).isEqualTo(LinkPauses.NO_OUTAGE);
        assertThat(misses(T0 + 25 * MS + MS / 2)).isTrue();
    }

    @Test
    void aMissLongAfterAWatchedOneBeginsAWindowOfItsOwn() {
        misses(T0, T0 + MS);
        pauses.replied(pauses.generation(), T0 + 2 * MS);
        assertThat(misses(T0 + 600_000 * MS)).isFalse();
    }

    @Test
    void aPauseForgetsTheMissesWatchedBeforeIt() {
        misses(T0, T0 + MS);
        pauseAt(T0 + 10 * MS);
        pauses.replied(pauses.generation(), T0 + 31 * MS);
        assertThat(pauses.replied(pauses.generation(), T0 + 41 * MS)).isEqualTo(T0 + 10 * MS);
        // Two misses before the pause and this one would be as many as the two replies since, twenty budgets on.
        assertThat(misses(T0 + 120 * MS)).isFalse();
    }

    @Test
    void oneHiccupsBurstOfMissesIsOutweighedByTheRepliesInTimeAfterIt() {
        int generation = pauses.generation();
        for (long now = T0; now < T0 + 10 * MS; now += MS / 5) {
            assertThat(pauses.missed(generation, now)).isFalse();
        }
        for (long now = T0 + 10 * MS; now < T0 + 150 * MS; now += MS / 5) {
            pauses.replied(generation, now);
        }
        assertThat(pauses.answeringInTime()).isTrue();
        assertThat(misses(T0 + 150 * MS, T0 + 151 * MS)).isFalse();
    }

    @Test
    void theFirstPauseOfAnOutageLastsFourBudgetsAndOnlyTheFirstCallOfAGenerationBeginsOne() {
        int sentIn = pauses.generation();
        assertThat(pauses.open(T0)).isTrue();
        assertThat(pauses.pause(sentIn, T0)).isEqualTo(new LinkPauses.Pause(20 * MS, T0));
        assertThat(pauses.pause(sentIn, T0 + 10 * MS)).isNull();
        assertThat(pauses.open(T0 + 20 * MS - 1)).isFalse();
        assertThat(pauses.open(T0 + 20 * MS)).isTrue();
    }

    @Test
    void withinAnOutageOneMissIsAStallAndEachPauseIsTwiceTheLastUpToTheLongest() {
        long now = T0;
        long[] lengths = new long[9];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = pauseAt(now);
            now += lengths[i];
            if (i < lengths.length - 1) {
                assertThat(misses(now + BUDGET)).isTrue();
            }
        }
        assertThat(lengths).containsExactly(20 * MS, 40 * MS, 80 * MS, 160 * MS, 320 * MS, 640 * MS, LONGEST,
                LONGEST, LONGEST);
    }

    @Test
    void repliesInTimeOverTwoBudgetsEndTheOutageAndSayWhenItBegan() {
        pauseAt(T0);
        assertThat(pauseAt(T0 + 20 * MS)).isEqualTo(40 * MS);
        assertThat(pauses.replied(pauses.generation(), T0 + 61 * MS)).isEqualTo(LinkPauses.NO_OUTAGE);
        assertThat(pauses.replied(pauses.generation(), T0 + 70 * MS)).isEqualTo(LinkPauses.NO_OUTAGE);
        assertThat(pauses.replied(pauses.generation(), T0 + 71 * MS)).isEqualTo(T0);
        assertThat(pauses.replied(pauses.generation(), T0 + 72 * MS)).isEqualTo(LinkPauses.NO_OUTAGE);
        assertThat(misses(T0 + 100 * MS)).isFalse();
        assertThat(pauses.pause(pauses.generation(), T0 + 200 * MS))
                .isEqualTo(new LinkPauses.Pause(20 * MS, T0 + 200 * MS));
    }

    @Test
    void aLongestPauseUnderFourBudgetsIsTheOnlyLength() {
        LinkPauses brief = new LinkPauses(BUDGET, 10 * MS, T0);
        assertThat(brief.pause(brief.generation(), T0).nanos()).isEqualTo(10 * MS);
        assertThat(brief.pause(brief.generation(), T0 + 10 * MS).nanos()).isEqualTo(10 * MS);
    }

    @Test
    void callsSentBeforeAPauseCountForNothingAfterItNeitherMissesNorReplies() {
        int before = pauses.generation();
        pauseAt(T0);
        // Calls sent before the pause time out during and after it (it lasts 20 ms), or come back in time.
        for (long now = T0 + MS; now < T0 + 40 * MS; now += MS) {
            assertThat(pauses.missed(before, now)).isFalse();
        }
        assertThat(pauses.replied(before, T0 + 40 * MS)).isEqualTo(LinkPauses.NO_OUTAGE);
        // Still in the outage: the first miss of a call sent after the pause is a stall.
        assertThat(pauses.missed(pauses.generation(), T0 + 45 * MS)).isTrue();
    }

    @Test
    void aPauseWithNothingSentBeginsWhateverTheGeneration() {
        int before = pauses.generation();
        pauseAt(T0);
        assertThat(pauses.pause(before, T0 + 30 * MS)).isNull();
        assertThat(pauses.pauseNow(T0 + 30 * MS)).isEqualTo(new LinkPauses.Pause(40 * MS, T0));
    }

    @Test
    void notAnsweringInTimeFromAMissUntilAReplyAndThroughAnOutage() {
        assertThat(pauses.answeringInTime()).isTrue();
        misses(T0);
        assertThat(pauses.answeringInTime()).isFalse();
        pauses.replied(pauses.generation(), T0 + MS);
        assertThat(pauses.answeringInTime()).isTrue();
        pauseAt(T0 + 10 * MS);
        assertThat(pauses.answeringInTime()).isFalse();
        pauses.replied(pauses.generation(), T0 + 31 * MS);
        assertThat(pauses.answeringInTime()).isFalse();
        pauses.replied(pauses.generation(), T0 + 41 * MS);
        assertThat(pauses.answeringInTime()).isTrue();
    }
}
