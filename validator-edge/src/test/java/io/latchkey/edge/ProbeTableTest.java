package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ProbeTableTest {

    /** MurmurHash3's finalizer: consecutive values spread over the table. */
    private static int hash(long value) {
        long h = (value ^ value >>> 33) * 0xff51afd7ed558ccdL;
        h = (h ^ h >>> 33) * 0xc4ceb9fe1a85ec53L;
        return (int) (h ^ h >>> 33);
    }

    private final ProbeTable<Long> table = new ProbeTable<>(ProbeTableTest::hash);

    private static Long find(ProbeTable<Long> table, int hash, long value) {
        return table.find(hash, value, ProbeTableTest::holds);
    }

    private static boolean holds(Long held, Long wanted, int hash) {
        return held.longValue() == wanted;
    }

    private Long add(ProbeTable<Long> table, int hash, long value) {
        return table.addIfAbsent(hash, value, ProbeTableTest::holds, () -> value);
    }

    @Test
    void anEntryIsAddedOnceAndFoundByEveryLaterProbeAsTheTableGrows() {
        Long first = add(table, hash(3), 3);
        assertThat(table.addIfAbsent(hash(3), 3L, ProbeTableTest::holds, () -> -1L)).isSameAs(first);
        for (long value = 10; value < 1_000; value++) {
            add(table, hash(value), value);
        }

        assertThat(table.size()).isEqualTo(991);
        assertThat(find(table, hash(3), 3)).isEqualTo(3L);
        for (long value = 10; value < 1_000; value++) {
            assertThat(find(table, hash(value), value)).isEqualTo(value);
        }
        assertThat(find(table, hash(5), 5)).isNull();
    }

    @Test
    void entriesChosenToCollideAreRefusedBeyondTheProbeLimitSoThatNoLookupGetsLong() {
        ProbeTable<Long> colliding = new ProbeTable<>(value -> 42);
        List<Long> added = new ArrayList<>();
        for (long value = 0; value < 1_000; value++) {
            Long entry = add(colliding, 42, value);
            if (entry != null) {
                added.add(entry);
            }
        }

        assertThat(added).hasSize(ProbeTable.MAX_PROBES);
        assertThat(colliding.size()).isEqualTo(ProbeTable.MAX_PROBES);
        added.forEach(value -> assertThat(find(colliding, 42, value)).isEqualTo(value));
        assertThat(find(colliding, 42, 999)).isNull();
    }

    @Test
    void readersWithoutTheLockFindEveryEntryAddedBeforeTheyLook() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<Integer>> misses = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            int offset = t;
            misses.add(pool.submit(() -> {
                int missed = 0;
                for (long value = offset; value < 30_000; value += 3) {
                    add(table, hash(value), value);
                    missed += find(table, hash(value), value) == null ? 1 : 0;
                    // An entry added earlier must survive the growths since, whichever thread made them.
                    missed += value >= 3 && find(table, hash(value - 3), value - 3) == null ? 1 : 0;
                }
                return missed;
            }));
        }
        for (Future<Integer> missed : misses) {
            assertThat(missed.get()).isZero();
        }
        pool.shutdown();
        assertThat(table.size()).isEqualTo(30_000);
        for (long value = 0; value < 30_000; value++) {
            assertThat(find(table, hash(value), value)).isEqualTo(value);
        }
    }
}
