package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EventTailTest {

    private static String at(int second) {
        return String.format("2026-12-03T12:%02d:%02dZ", second / 60, second % 60);
    }

    /** What a scan of everything appended would find: the positions whose timestamp is at least {@code from}. */
    private static List<Object> scan(List<String> timestamps, String from) {
        List<Object> found = new ArrayList<>();
        for (int i = 0; i < timestamps.size(); i++) {
            if (timestamps.get(i).compareTo(from) >= 0) {
                found.add(i);
            }
        }
        return found;
    }

    @Test
    void findsWhatAScanFindsThoughTimestampsArriveOutOfOrder() {
        Random random = new Random(42);
        EventTail tail = new EventTail(1_000, null);
        List<String> appended = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            // Mostly rising, some a few seconds back, as clocks and concurrent writers make them.
            String timestamp = at(i / 2 - (random.nextInt(10) == 0 ? random.nextInt(20) : 0) + 20);
            tail.appended(i, timestamp);
            appended.add(timestamp);
        }
        for (int second = 0; second < 300; second++) {
            assertThat(tail.from(at(second))).as("from %s", at(second)).isEqualTo(scan(appended, at(second)));
        }
    }

    @Test
    void answersOnlyAboveEverythingThatLeftTheTail() {
        EventTail tail = new EventTail(4, null);
        for (int i = 0; i < 6; i++) {
            tail.appended(i, at(i == 1 ? 50 : i));
        }
        // Positions 0 and 1 left the tail; 1 was stamped 50, so only a fetch from after 50 is known complete.
        assertThat(tail.from(at(3))).isNull();
        assertThat(tail.from(at(50))).isNull();
        tail.appended(6, at(60));
        assertThat(tail.from(at(51))).containsExactly(6);
    }

    @Test
    void aCollectionOpenedWithDocumentsIsCoveredOnlyAboveTheirGreatestTimestamp() {
        EventTail tail = new EventTail(16, at(10));
        assertThat(tail.from(at(11))).isEmpty();
        assertThat(tail.from(at(10))).isNull();
        tail.appended("a", at(12));
        assertThat(tail.from(at(11))).containsExactly("a");
        assertThat(tail.from(at(5))).isNull();
    }

    @Test
    void stopsAnsweringOnceInvalidated() {
        EventTail changed = new EventTail(16, null);
        changed.appended("a", at(1));
        changed.invalidate();
        assertThat(changed.from(at(0))).isNull();
    }

    @Test
    void acrossManyWrapsAnswersExactlyWhenEverythingEvictedIsBelowTheBound() {
        Random random = new Random(3);
        EventTail tail = new EventTail(64, null);
        List<String> appended = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            String timestamp = at(i / 4 + (random.nextInt(16) == 0 ? random.nextInt(60) : 0));
            tail.appended(i, timestamp);
            appended.add(timestamp);
            String bound = at(Math.max(0, i / 4 - random.nextInt(30)));
            String evicted = appended.subList(0, Math.max(0, appended.size() - 64)).stream()
                    .max(String::compareTo).orElse(null);
            List<Object> answer = tail.from(bound);
            if (evicted != null && evicted.compareTo(bound) >= 0) {
                assertThat(answer).as("from %s after %d", bound, i).isNull();
            } else {
                assertThat(answer).as("from %s after %d", bound, i).isEqualTo(scan(appended, bound));
            }
        }
    }
}
