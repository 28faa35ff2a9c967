package io.latchkey.validator.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.RateLimit;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LocalRateLimiterTest {

    private final AtomicLong now = new AtomicLong();
    private final LocalRateLimiter limiter = LocalRateLimiter.withTicker(now::get);

    @Test
    void aFullBucketAdmitsItsCapacityThenRefillsAtTheLimitRate() {
        RateLimit tenPerMinuteBurstTwenty = new RateLimit(10, 60, 20L);
        int admitted = 0;
        for (int i = 0; i < 30; i++) {
            admitted += limiter.acquire("k", tenPerMinuteBurstTwenty).allowed() ? 1 : 0;
        }
        assertThat(admitted).isEqualTo(20);

        now.addAndGet(TimeUnit.SECONDS.toNanos(30));
        admitted = 0;
        for (int i = 0; i < 30; i++) {
            admitted += limiter.acquire("k", tenPerMinuteBurstTwenty).allowed() ? 1 : 0;
        }
        assertThat(admitted).isEqualTo(5);
    }

    @Test
    void bucketsLeftUnusedUntilFullAreDroppedOnceTheirNumberDoublesAndUsedOnesKeepTheirState() {
        LocalRateLimiter swept = new LocalRateLimiter(now::get, Runnable::run);
        RateLimit tenASecond = new RateLimit(10, 1, null);
        for (int i = 0; i < LocalRateLimiter.SWEEP_FLOOR - 1; i++) {
            swept.acquire("once-" + i, tenASecond);
        }
        now.addAndGet(TimeUnit.SECONDS.toNanos(2));
        swept.acquire("busy", tenASecond);
        assertThat(swept.acquire("busy", tenASecond).remaining()).isEqualTo(8);
        assertThat(swept.buckets()).isEqualTo(LocalRateLimiter.SWEEP_FLOOR);

        swept.acquire("new", tenASecond);

        assertThat(swept.buckets()).as("the busy key and the new one").isEqualTo(2);
        assertThat(swept.acquire("busy", tenASecond).remaining()).as("not started again").isEqualTo(7);
        assertThat(swept.acquire("new", tenASecond).remaining()).isEqualTo(8);
    }

    /** {@link System#nanoTime} may be negative: a bucket first used there must still refill. */
    @Test
    void aBucketRefillsWhenTheTickerStartsBelowZero() {
        now.set(-TimeUnit.SECONDS.toNanos(1_000));
        RateLimit onePerSecond = new RateLimit(1, 1, null);
        assertThat(limiter.acquire("k", onePerSecond).allowed()).isTrue();
        assertThat(limiter.acquire("k", onePerSecond).allowed()).isFalse();

        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertThat(limiter.acquire("k", onePerSecond).allowed()).isTrue();
    }

    @Test
    void aDenialSaysWhenTheNextTokenComes() {
        RateLimit onePerTenSeconds = new RateLimit(1, 10, null);
        assertThat(limiter.acquire("k", onePerTenSeconds).allowed()).isTrue();
        now.addAndGet(TimeUnit.SECONDS.toNanos(4));
        var denied = limiter.acquire("k", onePerTenSeconds);
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.retryAfterSeconds()).isEqualTo(6);
        assertThat(denied.resetSeconds()).isEqualTo(6);
    }

    @Test
    void keysHaveSeparateBuckets() {
        RateLimit one = new RateLimit(1, 60, null);
        assertThat(limiter.acquire("a", one).allowed()).isTrue();
        assertThat(limiter.acquire("b", one).allowed()).isTrue();
        assertThat(limiter.acquire("a", one).allowed()).isFalse();
    }
}
