package io.latchkey.support.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.topic.ITopic;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The signal on a real Hazelcast member's topic. */
class HazelcastAppendSignalTest {

    private static HazelcastInstance member;

    @BeforeAll
    static void startMember() {
        member = LoopbackMembers.start("signal", "signal-test").get(0);
    }

    @AfterAll
    static void stopMember() {
        member.shutdown();
    }

    @Test
    void appendsMadeWhileASignalIsSentShareOneMoreSignal() throws InterruptedException {
        ITopic<String> topic = member.getTopic("signal-" + UUID.randomUUID());
        CountDownLatch sending = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> sent = new CopyOnWriteArrayList<>();
        try (HazelcastAppendSignal signal = new HazelcastAppendSignal(topic, id -> {
            sent.add(id);
            if (sent.size() == 1) {
                sending.countDown();
                awaitQuietly(release);
            }
        })) {
            signal.appended();
            assertThat(sending.await(10, TimeUnit.SECONDS)).isTrue();
            // Made while the first signal is on its way, which may have reached readers before these events did.
            signal.appended();
            signal.appended();
            signal.appended();
            release.countDown();

            awaitCount(sent::size, 2);
            Thread.sleep(300);
            assertThat(sent).hasSize(2);
        }
    }

    @Test
    void aSignalWakesOtherReadersButNotItsSender() throws InterruptedException {
        AtomicInteger senderWoken = new AtomicInteger();
        AtomicInteger otherWoken = new AtomicInteger();
        // Two services' signals on one member, as a test runs a command side beside a query side.
        try (HazelcastAppendSignal sender = new HazelcastAppendSignal(member);
             HazelcastAppendSignal other = new HazelcastAppendSignal(member)) {
            sender.onAppended(senderWoken::incrementAndGet);
            other.onAppended(otherWoken::incrementAndGet);

            sender.appended();

            awaitCount(otherWoken::get, 1);
            Thread.sleep(300);
            assertThat(senderWoken).hasValue(0);
            assertThat(otherWoken).hasValue(1);
        }
    }

    private static void awaitCount(IntSupplier count, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (count.getAsInt() < expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(count.getAsInt()).isGreaterThanOrEqualTo(expected);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
