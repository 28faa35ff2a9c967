package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class PendingDecisionsTest {

    /** Records what it counts, in order; decisions are told apart by their {@code msb}. */
    private static final class Recording implements PendingDecisions.Folder {
        final List<Long> counted = new ArrayList<>();

        @Override
        public long touch(int[] hashes) {
            return hashes.length;
        }

        @Override
        public void count(long msb, long lsb, Object endpoint, int hash, int outcome, long time) {
            // Each decision is added with a hash of its own; the fold must hand that one back with it.
            assertThat(hash).isEqualTo((int) msb * 31);
            counted.add(msb);
        }
    }

    @Test
    void everyDecisionIsFoldedOnceInOrderWhetherItsThreadOrAnotherFoldsIt() throws Exception {
        PendingDecisions[] decisions = new PendingDecisions[1];
        Recording folder = new Recording();
        AtomicBoolean done = new AtomicBoolean();
        Thread owner = new Thread(() -> {
            decisions[0] = new PendingDecisions();
            synchronized (folder) {
                folder.notifyAll();
            }
            for (long n = 0; n < 200_000; n++) {
                decisions[0].add(n, 0, "/orders", (int) n * 31, 0, 0, folder);
            }
            done.set(true);
        });
        synchronized (folder) {
            owner.start();
            while (decisions[0] == null) {
                folder.wait();
            }
        }
        // Another thread folds as a report does, racing the owner's own folds of full batches.
        while (!done.get()) {
            decisions[0].fold(folder);
        }
        owner.join();
        decisions[0].fold(folder);

        assertThat(folder.counted).hasSize(200_000);
        for (int n = 0; n < 200_000; n++) {
            assertThat(folder.counted.get(n)).isEqualTo(n);
        }
        assertThat(decisions[0].abandoned()).isTrue();
    }

    @Test
    void aFoldThatFailsPartWayLeavesTheRestToTheNextAndCountsNothingTwice() {
        PendingDecisions decisions = new PendingDecisions();
        Recording folder = new Recording();
        for (long n = 0; n < 10; n++) {
            decisions.add(n, 0, "/orders", (int) n * 31, 0, 0, folder);
        }
        PendingDecisions.Folder failing = new PendingDecisions.Folder() {
            @Override
            public long touch(int[] hashes) {
                return 0;
            }

            @Override
            public void count(long msb, long lsb, Object endpoint, int hash, int outcome, long time) {
                if (msb == 4) {
                    throw new OutOfMemoryError("table");
                }
                folder.count(msb, lsb, endpoint, hash, outcome, time);
            }
        };

        assertThatThrownBy(() -> decisions.fold(failing)).isInstanceOf(OutOfMemoryError.class);
        decisions.fold(folder);

        // The decision whose count failed had not been counted, so the next fold counts it.
        assertThat(folder.counted).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(decisions.abandoned()).isFalse();
    }
}
