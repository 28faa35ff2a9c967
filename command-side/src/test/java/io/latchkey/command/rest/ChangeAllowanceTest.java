package io.latchkey.command.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.latchkey.support.web.ProblemException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A developer's allowance of changes, on a clock the test moves. */
class ChangeAllowanceTest {

    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong clock = new AtomicLong(-5 * SECOND);
    private final ChangeAllowance allowance = new ChangeAllowance(6, clock::get);

    private ProblemException refused(String developerId) {
        try {
            allowance.take(developerId);
        } catch (ProblemException refusal) {
            return refusal;
        }
        throw new AssertionError("a change of " + developerId + " was allowed");
    }

    @Test
    void aMinutesChangesMayComeAtOnceAndTheNextWaitsForItsShare() {
        for (int i = 0; i < 6; i++) {
            allowance.take("dev-a");
        }

        ProblemException refusal = refused("dev-a");

        assertThat(refusal.problem().getStatus()).isEqualTo(429);
        assertThat(refusal.problem().getType().toString()).endsWith("/too-many-changes");
        assertThat(refusal.retryAfterSeconds()).isEqualTo(10);
        clock.addAndGet(9 * SECOND);
        assertThat(refused("dev-a").retryAfterSeconds()).as("refusals used none of it").isEqualTo(1);
        clock.addAndGet(SECOND);
        allowance.take("dev-a");
        assertThat(refused("dev-a").retryAfterSeconds()).isEqualTo(10);
    }

    @Test
    void theAllowanceComesBackEvenlyAndNeverBeyondAMinutesWorth() {
        for (int i = 0; i < 6; i++) {
            allowance.take("dev-a");
        }
        clock.addAndGet(25 * SECOND);
        allowance.take("dev-a");
        allowance.take("dev-a");
        refused("dev-a");

        clock.addAndGet(10 * 60 * SECOND);
        for (int i = 0; i < 6; i++) {
            allowance.take("dev-a");
        }
        refused("dev-a");
    }

    @Test
    void oneDevelopersChangesLeaveAnothersAllowanceAndTheOperatorIsNeverHeld() {
        for (int i = 0; i < 6; i++) {
            allowance.take("dev-a");
        }
        refused("dev-a");

        for (int i = 0; i < 6; i++) {
            allowance.take("dev-b");
        }
        assertThatCode(() -> {
            for (int i = 0; i < 1_000; i++) {
                allowance.take(null);
            }
        }).doesNotThrowAnyException();
    }

    @Test
    void anAllowanceOutsideItsBoundsIsRefusedAtStart() {
        assertThatThrownBy(() -> new ChangeAllowance(0, clock::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(ChangeAllowance.PROPERTY);
        assertThatThrownBy(() -> new ChangeAllowance(ChangeAllowance.MAX_PER_MINUTE + 1, clock::get))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatCode(() -> new ChangeAllowance(ChangeAllowance.MAX_PER_MINUTE, clock::get).take("dev-a"))
                .doesNotThrowAnyException();
    }
}
