package io.latchkey.validator.redis;

import io.latchkey.api.RateLimit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * What this edge owes the shared buckets, by key: the tokens its local buckets gave while a shared one could not be
 * asked in time, less what the calls that missed their budget took in Redis after all (negative: a token Redis took
 * for a request refused here, to give back). The key's next call charges it, so that a stall of Redis does not let a
 * shared bucket's tokens be spent twice, here while it stalled and from Redis after. A debt is at most what the
 * edge's local bucket, which refills as the shared one does, misses after a decision made here: through a long
 * outage the shared bucket refills too, and charging every token given meanwhile would lock out a client that kept
 * within its limit. A debt is dropped once the shared bucket would have filled up since it was last added to, and
 * keys not used again are not kept for good.
 */
final class OwedTokens {

    /** Below this many keys none is swept. */
    static final int SWEEP_FLOOR = 4_096;

    private record Debt(long tokens, long addedNanos, long fillNanos) {
    }

    private final ConcurrentMap<String, Debt> debts = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;
    private final Executor sweeper;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private volatile int sweepAbove = SWEEP_FLOOR;

    OwedTokens(LongSupplier nanoTime, Executor sweeper) {
        this.nanoTime = nanoTime;
        this.sweeper = sweeper;
    }

    /** The key's debt, taken for a call that will charge it: 0 for none, or one the shared bucket has outlived. */
    long take(String keyId) {
        // While no key owes anything, as before any stall, a call costs no lookup.
        if (debts.isEmpty()) {
            return 0;
        }
        Debt debt = debts.remove(keyId);
        return debt == null || stale(debt, nanoTime.getAsLong()) ? 0 : debt.tokens;
    }

    /** Adds {@code tokens} (negative: gives back) to the key's debt under {@code limit}. */
    void add(String keyId, RateLimit limit, long tokens) {
        add(keyId, limit, tokens, Long.MAX_VALUE);
    }

    /** As {@link #add(String, RateLimit, long)}, the debt then at most {@code atMost}. */
    void add(String keyId, RateLimit limit, long tokens, long atMost) {
        if (tokens == 0) {
            return;
        }
        long now = nanoTime.getAsLong();
        // A full bucket's worth of time at the limit's rate: the capacity over the tokens a nanosecond.
        long fillNanos = (long) Math.ceil(limit.capacity() * (limit.periodSeconds() * 1e9 / limit.limit()));
        debts.merge(keyId, new Debt(Math.min(tokens, atMost), now, fillNanos), (held, added) -> {
            long sum = Math.min(atMost, stale(held, now) ? tokens : held.tokens + tokens);
            return sum == 0 ? null : new Debt(sum, now, fillNanos);
        });
        if (debts.size() > sweepAbove && sweeping.compareAndSet(false, true)) {
            sweeper.execute(this::sweep);
        }
    }

    /** Keys owing; for tests. */
    int keys() {
        return debts.size();
    }

    private static boolean stale(Debt debt, long now) {
        return now - debt.addedNanos > debt.fillNanos;
    }

    private void sweep() {
        try {
            long now = nanoTime.getAsLong();
            debts.entrySet().removeIf(entry -> stale(entry.getValue(), now));
            sweepAbove = Math.max(SWEEP_FLOOR, 2 * debts.size());
        } finally {
            sweeping.set(false);
        }
    }
}
