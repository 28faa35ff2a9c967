package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class UsageTableTest {

    private final UsageTable table = new UsageTable(0);

    /** Counts by entry (key bits and endpoint) and outcome, added across arrays as a report adds them. */
    private static Map<List<Long>, long[]> read(UsageTable table) {
        Map<List<Long>, long[]> read = new HashMap<>();
        table.forEachUnacknowledged((msb, lsb, endpoint, millis, counts, counted) -> {
            long[] sum = read.computeIfAbsent(List.of(msb, lsb, (long) endpoint), entry -> new long[counts.length]);
            for (int outcome = 0; outcome < counts.length; outcome++) {
                sum[outcome] += counts[outcome];
            }
        });
        return read;
    }

    private Map<List<Long>, long[]> read() {
        return read(table);
    }

    /** Counts as a fold does, with the entry's hash. */
    private static boolean count(UsageTable table, long msb, long lsb, int endpoint, int outcome, int millis) {
        return table.count(UsageTable.hash(msb, lsb, endpoint), msb, lsb, endpoint, outcome, millis);
    }

    @Test
    void eachOutcomeCountsApartFromTheOneThatSharesItsLong() {
        assertThat(table.add(1, 2, 3, 32)).isEqualTo(UsageTable.IN_TABLE);
        for (int outcome = 0; outcome < UsageTable.OUTCOMES; outcome++) {
            for (int i = 0; i <= outcome * 1_000; i++) {
                assertThat(count(table, 1, 2, 3, outcome, 500)).isTrue();
            }
        }

        long[] counts = read().get(List.of(1L, 2L, 3L));
        for (int outcome = 0; outcome < UsageTable.OUTCOMES; outcome++) {
            assertThat(counts[outcome]).isEqualTo(outcome * 1_000 + 1);
        }
    }

    @Test
    void anEntryIsTouchedAndCountedByTheHashItsDecisionCarries() {
        table.add(1, 2, 3, 32);
        int hash = UsageTable.hash(1, 2, 3);

        assertThat(table.touch(new int[] {hash})).isNotZero();
        assertThat(table.count(hash, 1, 2, 3, 0, 0)).isTrue();
        assertThat(read().get(List.of(1L, 2L, 3L))[0]).isEqualTo(1);
    }

    @Test
    void anEntryNotAddedIsNotCountedAndTheSameKeyAtAnotherEndpointIsAnotherEntry() {
        table.add(1, 2, 3, 32);

        assertThat(count(table, 1, 2, 4, 0, 0)).isFalse();
        assertThat(count(table, 2, 1, 3, 0, 0)).isFalse();
        assertThat(table.add(1, 2, 3, 32)).isEqualTo(UsageTable.IN_TABLE);
        assertThat(table.size()).isEqualTo(1);
        table.add(1, 2, 4, 32);
        count(table, 1, 2, 4, 0, 0);
        count(table, 1, 2, 3, 0, 0);
        count(table, 1, 2, 3, 0, 0);
        assertThat(read()).containsOnlyKeys(List.of(1L, 2L, 3L), List.of(1L, 2L, 4L));
        assertThat(read().get(List.of(1L, 2L, 3L))[0]).isEqualTo(2);
        assertThat(read().get(List.of(1L, 2L, 4L))[0]).isEqualTo(1);
    }

    @Test
    void countsMadeBeforeTheTableGrowsAreKeptAndLaterOnesCountInTheLargerArray() {
        table.add(-1, -1, 1, 32);
        count(table, -1, -1, 1, 0, 10);
        for (long key = 0; key < 100_000; key++) {
            assertThat(table.add(key, ~key, 7, 32)).isEqualTo(UsageTable.IN_TABLE);
            count(table, key, ~key, 7, 1, 20);
        }
        count(table, -1, -1, 1, 0, 30);
        for (long key = 0; key < 100_000; key++) {
            assertThat(count(table, key, ~key, 7, 1, 30)).isTrue();
        }

        assertThat(table.size()).isEqualTo(100_001);
        Map<List<Long>, long[]> read = read();
        assertThat(read).hasSize(100_001);
        assertThat(read.get(List.of(-1L, -1L, 1L))[0]).isEqualTo(2);
        for (long key = 0; key < 100_000; key++) {
            assertThat(read.get(List.of(key, ~key, 7L))[1]).isEqualTo(2);
        }
    }

    @Test
    void anEntryBeyondTheLargestArraysRoomIsRefusedAndNotCounted() {
        UsageTable small = new UsageTable(0, 4096);
        List<Long> added = new ArrayList<>();
        List<Long> refused = new ArrayList<>();
        for (long key = 0; key < 3_000; key++) {
            (small.add(key, key, 2, 32) == UsageTable.IN_TABLE ? added : refused).add(key);
        }

        // At most half the largest array; a few fewer when a run of entries passed the probe limit.
        assertThat(added).hasSizeBetween(1_900, 2048);
        assertThat(small.size()).isEqualTo(added.size());
        added.forEach(key -> assertThat(count(small, key, key, 2, 0, 0)).isTrue());
        refused.forEach(key -> assertThat(count(small, key, key, 2, 0, 0)).isFalse());
        assertThat(read(small)).hasSize(added.size()).allSatisfy((entry, counts) -> assertThat(counts[0]).isEqualTo(1));
    }

    @Test
    void theLastUseIsTheLatestMillisecondCounted() {
        table.add(1, 2, 3, 32);
        count(table, 1, 2, 3, 0, 900);
        count(table, 1, 2, 3, 0, 400);
        int[] last = new int[1];
        table.forEachUnacknowledged((msb, lsb, endpoint, millis, counts, counted) -> last[0] = millis);

        assertThat(last[0]).isEqualTo(900);
    }

    @Test
    void threadsCountingAndAddingAtOnceLoseNoCount() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            done.add(pool.submit(() -> {
                // Every thread adds every key, so adds race each other and the chaining of arrays.
                for (int round = 0; round < 20; round++) {
                    for (long key = 0; key < 5_000; key++) {
                        // A racing larger array may leave an entry out; adding it again puts it there.
                        while (!count(table, key, key, 1, round % 2, round)) {
                            assertThat(table.add(key, key, 1, 32)).isEqualTo(UsageTable.IN_TABLE);
                        }
                    }
                }
            }));
        }
        for (Future<?> thread : done) {
            thread.get();
        }
        pool.shutdown();

        Map<List<Long>, long[]> read = read();
        assertThat(read).hasSize(5_000);
        read.values().forEach(counts -> assertThat(counts).containsExactly(30, 30, 0, 0, 0, 0, 0, 0, 0, 0));
    }

    @Test
    void aTableMadeForAMinutesEntriesHoldsThemInItsFirstArray() {
        UsageTable sized = new UsageTable(100_000);
        java.util.Random random = new java.util.Random(7);
        long[] keys = new long[2 * 20_000];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = random.nextLong();
        }
        // Twice over: had the array grown part-way, the counts of the first pass made before that would lie in the
        // older array and those of the second in the newer, so a pair would hold counters in both.
        for (int pass = 0; pass < 2; pass++) {
            for (int key = 0; key < 20_000; key++) {
                for (int endpoint = 2; endpoint <= 6; endpoint++) {
                    long msb = keys[2 * key];
                    long lsb = keys[2 * key + 1];
                    if (!count(sized, msb, lsb, endpoint, 0, 1)) {
                        assertThat(sized.add(msb, lsb, endpoint, 32)).isEqualTo(UsageTable.IN_TABLE);
                        assertThat(count(sized, msb, lsb, endpoint, 0, 1)).isTrue();
                    }
                }
            }
        }

        assertThat(sized.size()).isEqualTo(100_000);
        assertThat(sized.counters()).isEqualTo(100_000);
    }

    @Test
    void aReportPassesOverEntriesThatDidNotMoveSinceTheCountsItAcknowledged() {
        table.add(1, 2, 3, 32);
        table.add(4, 5, 6, 32);
        count(table, 1, 2, 3, 0, 10);
        count(table, 4, 5, 6, 1, 20);
        List<UsageTable.Read> first = new ArrayList<>();
        table.forEachUnacknowledged((msb, lsb, endpoint, millis, gains, counted) -> first.add(counted));
        assertThat(first).hasSize(2);
        // Counted after the report read the entry: the acknowledgement leaves it to the next report.
        count(table, 1, 2, 3, 0, 30);
        first.forEach(UsageTable.Read::acknowledge);

        assertThat(read()).containsOnlyKeys(List.of(1L, 2L, 3L))
                .hasEntrySatisfying(List.of(1L, 2L, 3L), gains -> assertThat(gains[0]).isEqualTo(1));
        assertThat(table.acknowledged()).isFalse();
        List<UsageTable.Read> second = new ArrayList<>();
        table.forEachUnacknowledged((msb, lsb, endpoint, millis, gains, counted) -> second.add(counted));
        second.forEach(UsageTable.Read::acknowledge);
        assertThat(table.acknowledged()).isTrue();
        assertThat(read()).isEmpty();
    }

    @Test
    void aKeyHoldsAtMostTheEndpointsAskedForThoughTheTableGrows() {
        assertThat(table.add(1, 2, 3, 2)).isEqualTo(UsageTable.IN_TABLE);
        assertThat(table.add(1, 2, 4, 2)).isEqualTo(UsageTable.IN_TABLE);
        assertThat(table.add(1, 2, 3, 2)).isEqualTo(UsageTable.IN_TABLE);
        assertThat(table.add(1, 2, 5, 2)).isEqualTo(UsageTable.CAPPED);
        // Thousands of keys more, so that both the table and its count of each key's endpoints grow.
        for (long key = 100; key < 5_000; key++) {
            assertThat(table.add(key, key, 1, 2)).isEqualTo(UsageTable.IN_TABLE);
            assertThat(table.add(key, key, 2, 2)).isEqualTo(UsageTable.IN_TABLE);
        }
        assertThat(table.add(1, 2, 6, 2)).isEqualTo(UsageTable.CAPPED);
        for (long key = 100; key < 5_000; key++) {
            assertThat(table.add(key, key, 3, 2)).isEqualTo(UsageTable.CAPPED);
        }
        count(table, 1, 2, 3, 0, 1);

        assertThat(table.size()).isEqualTo(2 + 2 * 4_900);
        assertThat(read()).containsOnlyKeys(List.of(1L, 2L, 3L));
    }
}
