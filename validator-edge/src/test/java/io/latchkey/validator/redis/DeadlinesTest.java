package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The link's deadline thread, on real time: budgets of 50 ms; idle after 100 ms without a call. */
class DeadlinesTest {

    private static final Duration BUDGET = Duration.ofMillis(50);
    /** Far more than a wake-up's lateness on a loaded machine, far less than a broken sweep would take. */
    private static final Duration SLACK = Duration.ofSeconds(1);

    private final Deadlines deadlines = new Deadlines(BUDGET.toNanos(), Duration.ofMillis(100).toNanos(), "test");

    @AfterEach
    void close() {
        deadlines.close();
    }

    /** The call's failure, waited for at most the budget and the slack. */
    private static Throwable failureOf(CompletableFuture<?> call) throws InterruptedException {
        try {
            call.get(BUDGET.plus(SLACK).toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("the deadline thread did not fail the call in time", e);
        }
    }

    private void awaitIdle() throws InterruptedException {
        for (int i = 0; i < 200 && deadlines.sweeper().getState() != Thread.State.WAITING; i++) {
            Thread.sleep(10);
        }
        assertThat(deadlines.sweeper().getState()).isEqualTo(Thread.State.WAITING);
    }

    @Test
    void aCallWithoutAReplyFailsWithATimeoutOnceItsBudgetIsOut() throws Exception {
        long sent = System.nanoTime();
        CompletableFuture<String> call = deadlines.within(new CompletableFuture<>());

        assertThat(failureOf(call)).isInstanceOf(TimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(BUDGET);
    }

    @Test
    void amongManyCallsExactlyThoseLeftWithoutAReplyFail() throws Exception {
        List<CompletableFuture<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            CompletableFuture<Integer> call = deadlines.within(new CompletableFuture<>());
            if (i % 2 == 0) {
                call.complete(i);
            }
            calls.add(call);
        }
        for (int i = 0; i < calls.size(); i++) {
            if (i % 2 == 0) {
                assertThat(calls.get(i).get()).isEqualTo(i);
            } else {
                assertThat(failureOf(calls.get(i))).isInstanceOf(TimeoutException.class);
            }
        }
    }

    @Test
    void callsThatFindTheThreadIdleWakeIt() throws Exception {
        for (int round = 0; round < 20; round++) {
            awaitIdle();
            assertThat(failureOf(deadlines.within(new CompletableFuture<>()))).isInstanceOf(TimeoutException.class);
        }
    }

    @Test
    void aContinuationThatInterruptsTheThreadOrThrowsDoesNotStopTheTimeouts() throws Exception {
        CompletableFuture<String> call = deadlines.within(new CompletableFuture<>());
        call.whenComplete((value, failure) -> {
            // Run here instead when the budget ran out before it was added (a slow machine): this thread is no sweeper.
            if (Thread.currentThread() == deadlines.sweeper()) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("a continuation's own failure");
        });
        assertThat(failureOf(call)).isInstanceOf(TimeoutException.class);

        assertThat(failureOf(deadlines.within(new CompletableFuture<>()))).isInstanceOf(TimeoutException.class);
        awaitIdle();
    }

    @Test
    void closingEndsTheThreadAndFailsLaterCallsAtOnce() throws Exception {
        deadlines.close();
        deadlines.sweeper().join(SLACK.toMillis());

        assertThat(deadlines.sweeper().isAlive()).isFalse();
        assertThat(deadlines.within(new CompletableFuture<>())).isCompletedExceptionally();
    }
}
