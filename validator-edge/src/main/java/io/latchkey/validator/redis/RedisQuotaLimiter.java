package io.latchkey.validator.redis;

import io.latchkey.validator.QuotaLimiter;
import io.latchkey.validator.QuotaState;
import io.latchkey.validator.ratelimit.MonthSweep;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Monthly quotas counted in Redis, one counter per key and month shared by every edge, changed only by a Lua script
 * that never lets the count pass the quota. Exact mode asks Redis for every request (a key with a rate limit in
 * {@link ExactRedisRateLimiter} in the same round trip as its bucket); leased mode (the local-sync
 * rate-limit mode) takes leases of a thousandth of the quota (at most 1,000 requests) and decides from them locally,
 * so edges together never admit more than the quota and may admit less, by about one lease per edge (more after late
 * replies, below), until a lease unused for a minute goes back.
 *
 * <p>While Redis is unreachable, decisions continue from the count last seen plus what this edge admitted since,
 * counted as degraded; those admissions are added to the shared count when Redis answers again. An outage can
 * therefore let each edge admit up to the quota's remainder on its own. A call that misses the budget is decided
 * offline, although Redis most likely runs it: the request is counted locally and the admissions it carried are to be
 * carried again. Its reply, when it comes ({@link Count#late}), takes both back, and what Redis took for it (one
 * request, a whole lease in leased mode, or, in exact mode with a rate limit, a request the local bucket then refused)
 * is given back by the next call, so a late reply counts nothing twice. A reply later than Lettuce's timeout for
 * scripts (30 s) is not read and counts twice, and so does a late request of the month before (decided against the
 * newer month's count). Counts given back are sent at most once, so every error counts more than was admitted, never
 * less. While the link awaits a reply in time, requests take single counts instead of leases
 * ({@link RedisLink#answeringInTime}). Once this edge knows a key's quota used up (a reply, or its offline count), it
 * refuses the key's requests without asking Redis ({@link #usedUp}) and asks for the count again once a second in the
 * background: a client that keeps sending after its quota costs Redis a call a second, and its refused requests take
 * no token from its rate limit.
 */
public final class RedisQuotaLimiter implements QuotaLimiter, AutoCloseable {

    static final LuaScript COUNTER = LuaScript.of(
            "return count_requests(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])", "monthly-quota.lua");
    private static final String PREFIX = "latchkey:quota:";
    private static final long MAX_LEASE = 1_000;
    private static final long LEASE_DIVISOR = 1_000;
    /** Counters outlive their month by a day, so an edge whose clock is a little behind still finds its count. */
    private static final long EXPIRY_SLACK_SECONDS = 86_400;
    /**
     * How often an edge refusing a key's requests from what it knows asks Redis for the count again, in the background:
     * a count Redis lost (restarted without persistence) is read again within about this long.
     */
    private static final long RECHECK_MILLIS = 1_000;
    private static final long CLOSE_WAIT_SECONDS = 1;
    private static final int SETTLES_PER_SECOND = 200;
    /**
     * How long a lease may sit unused before it goes back: Redis counts it as admitted, and an edge that receives no
     * more of the key's requests would otherwise hold it for the rest of the month, also when a lowered quota (which
     * only a request would tell it of) leaves the other edges less room than its lease. A minute, not a second: a key
     * asked less often than this would take a lease, and give it back, for each request, two round trips where exact
     * mode makes one.
     */
    static final Duration IDLE_LEASE = Duration.ofMinutes(1);
    private static final Logger log = LoggerFactory.getLogger(RedisQuotaLimiter.class);
    /** One thread for every limiter in the process: it only starts calls, a few a second at most. */
    private static final ScheduledExecutorService SETTLER = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "latchkey-quota-settler");
        thread.setDaemon(true);
        return thread;
    });

    private final RedisLink link;
    private final boolean leased;
    private final Map<String, KeyMonth> keys = new ConcurrentHashMap<>();
    private final MonthSweep sweep = new MonthSweep();
    private final AtomicBoolean settleScheduled = new AtomicBoolean();
    /** The leased mode's sweep of idle leases, once a second; null in exact mode, which leases nothing. */
    private final ScheduledFuture<?> idleLeases;
    private final long idleLeaseNanos;
    private volatile boolean closed;

    private RedisQuotaLimiter(RedisLink link, boolean leased, Duration idleLease) {
        this.link = Objects.requireNonNull(link, "link is required: a RedisLink.open");
        this.leased = leased;
        this.idleLeaseNanos = idleLease.toNanos();
        link.preload(COUNTER);
        idleLeases = leased ? SETTLER.scheduleWithFixedDelay(this::giveBackIdleLeases, RECHECK_MILLIS,
                RECHECK_MILLIS, TimeUnit.MILLISECONDS) : null;
    }

    static String counterKey(String keyId, YearMonth month) {
        return PREFIX + keyId + ":" + month;
    }

    /** Drops what this edge keeps for a key, leases and unsettled counts too: for a key about to be deleted. */
    void forget(String keyId) {
        keys.remove(keyId);
    }

    /** Keys this edge keeps a state for; for tests. */
    int keys() {
        return keys.size();
    }

    /** What this edge has yet to add to a key's count in Redis (negative: to give back); for tests. */
    long unsettled(String keyId) {
        KeyMonth state = keys.get(keyId);
        return state == null ? 0 : state.unsent.get();
    }

    /** Every request is counted in Redis, in one round trip. */
    public static RedisQuotaLimiter exact(RedisLink link) {
        return new RedisQuotaLimiter(link, false, IDLE_LEASE);
    }

    /** Requests are counted from leases taken from Redis in batches. */
    public static RedisQuotaLimiter leased(RedisLink link) {
        return leased(link, IDLE_LEASE);
    }

    /** As {@link #leased(RedisLink)}, a lease going back once unused for {@code idleLease}; for tests. */
    static RedisQuotaLimiter leased(RedisLink link, Duration idleLease) {
        return new RedisQuotaLimiter(link, true, idleLease);
    }

    @Override
    public QuotaState consume(String keyId, long requestsPerMonth, Instant now) {
        return link.await(() -> consumeAsync(keyId, requestsPerMonth, now));
    }

    @Override
    public CompletableFuture<QuotaState> consumeAsync(String keyId, long requestsPerMonth, Instant now) {
        QuotaState usedUp = usedUp(keyId, requestsPerMonth, now);
        if (usedUp != null) {
            return CompletableFuture.completedFuture(usedUp);
        }
        Count count = count(keyId, requestsPerMonth, now);
        long leaseLeft = count.state.tryTakeLease();
        if (leaseLeft >= 0) {
            return CompletableFuture.completedFuture(QuotaState.at(now, true, requestsPerMonth,
                    count.state.seenUsed - leaseLeft));
        }
        // One lease at a time per key: requests that find it empty while one is on its way take a single count each.
        boolean leasing = leased && count.state == count.kept && link.answeringInTime()
                && count.state.leasing.compareAndSet(false, true);
        long wanted = leasing ? Math.max(1, Math.min(MAX_LEASE, requestsPerMonth / LEASE_DIVISOR)) : 1;
        count.settle();
        return COUNTER.runAsync(link, new String[] {count.key}, count::late, count.arguments(wanted, leased))
                .thenApply(reply -> {
                    try {
                        return count.decide(reply);
                    } finally {
                        // Only once the lease is in: a request finding it empty meanwhile takes one count of its own.
                        if (leasing) {
                            count.state.leasing.set(false);
                        }
                    }
                });
    }

    /**
     * A refusal without asking Redis when what this edge knows, the count Redis last gave and what it admitted offline
     * since, has reached the quota and nothing since gave it room (a lease, another month, another quota): counts in
     * Redis grow within a month but for what edges give back, which this edge's own count already left out. Once a
     * second it asks Redis for the count again without waiting for it, in case Redis lost it or another edge gave
     * some back, which also settles what the edge admitted offline.
     */
    @Override
    public QuotaState usedUp(String keyId, long requestsPerMonth, Instant now) {
        KeyMonth state = keys.get(keyId);
        if (state == null || state.quota != requestsPerMonth || state.lease.get() > 0) {
            return null;
        }
        long used = state.seenUsed + state.offline.get();
        // The month last: it costs the most, and a key with room has already answered.
        if (used < requestsPerMonth || !state.month.equals(QuotaState.month(now))) {
            return null;
        }
        recheck(keyId, state, now);
        return QuotaState.at(now, false, requestsPerMonth, used);
    }

    /** Asks Redis for the month's count, taking nothing, when it was last asked a second or more ago. */
    private void recheck(String keyId, KeyMonth state, Instant now) {
        long millis = now.toEpochMilli();
        // Either way round: a clock stepped back asks again too, rather than trusting the count for as long.
        if (Math.abs(millis - state.checkedAt) < RECHECK_MILLIS) {
            return;
        }
        state.checkedAt = millis;
        settleNow(state, counterKey(keyId, state.month), now);
    }

    /**
     * Sends what this edge has to settle for a key's month and reads the count, taking nothing, without waiting;
     * nothing when such a call is on its way already.
     */
    private CompletableFuture<?> settleNow(KeyMonth state, String key, Instant now) {
        if (!state.settling.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        return settleNowAnyway(state, key, now);
    }

    /** As {@link #settleNow}, also while another such call is on its way: settling takes what is unsent atomically. */
    private CompletableFuture<?> settleNowAnyway(KeyMonth state, String key, Instant now) {
        state.settling.set(true);
        Count count = new Count(state, state, key, now);
        count.settle();
        return COUNTER.runAsync(link, new String[] {count.key}, count::late, count.arguments(0, leased))
                .whenComplete((reply, failure) -> {
                    try {
                        if (reply != null && reply.isPresent()) {
                            count.decide(reply);
                        } else {
                            count.unsent();
                        }
                    } finally {
                        state.settling.set(false);
                    }
                });
    }

    /**
     * Gives back the leases unused for {@link #IDLE_LEASE}, {@value #SETTLES_PER_SECOND} at most a pass, as the settler
     * sends (the rest stay idle for the next pass); not while Redis is away. Its failure is logged, not thrown: thrown,
     * it would end the sweep for good.
     */
    private void giveBackIdleLeases() {
        try {
            if (closed || !link.healthy()) {
                return;
            }
            long now = System.nanoTime();
            Instant at = Instant.now();
            int calls = 0;
            for (Map.Entry<String, KeyMonth> entry : keys.entrySet()) {
                KeyMonth state = entry.getValue();
                if (calls == SETTLES_PER_SECOND) {
                    return;
                }
                if (state.lease.get() > 0 && now - state.leaseUsedAt >= idleLeaseNanos && state.giveLeaseBack() != 0) {
                    calls++;
                    settleNow(state, counterKey(entry.getKey(), state.month), at);
                    // A call on its way already took what was unsent before this: the settler sends the rest.
                    if (state.unsent.get() != 0) {
                        settleSoon();
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("Giving idle quota leases back failed; tried again in a second", e);
        }
    }

    /**
     * Has what this edge has yet to settle (admissions made while Redis was away, counts to give back) sent within
     * about a second, once the link is not paused, and again each second while some is left: the keys' next requests,
     * which would carry it, may not come before this edge stops.
     */
    private void settleSoon() {
        if (!closed && settleScheduled.compareAndSet(false, true)) {
            SETTLER.schedule(this::settlePending, RECHECK_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void settlePending() {
        settleScheduled.set(false);
        if (closed) {
            return;
        }
        Instant now = Instant.now();
        int calls = 0;
        boolean left = false;
        for (Map.Entry<String, KeyMonth> entry : keys.entrySet()) {
            KeyMonth state = entry.getValue();
            if (state.unsent.get() != 0) {
                left = true;
                // A few hundred a second: after an outage every key admitted offline is pending, and all at once
                // they would keep live requests' calls past the budget. None while the link is paused.
                if (calls < SETTLES_PER_SECOND && link.healthy()) {
                    settleNow(state, counterKey(entry.getKey(), state.month), now);
                    calls++;
                }
            }
        }
        if (left) {
            settleSoon();
        }
    }

    /**
     * Gives the unused leases back and sends what this edge has yet to settle, one call per key at once, after waiting
     * up to a second for a paused link: a stopping edge would otherwise leave them counted, or uncounted, for good.
     * Close it before its {@link RedisLink}. What a link still paused or a late reply leaves is logged.
     */
    @Override
    public void close() {
        closed = true;
        if (idleLeases != null) {
            idleLeases.cancel(false);
        }
        Instant now = Instant.now();
        // A link paused since an outage sends nothing: its pause, at most a second, is waited out.
        boolean pending = keys.values().stream().anyMatch(state -> state.unsent.get() != 0 || state.lease.get() > 0);
        long pausedUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_WAIT_SECONDS);
        while (pending && !link.healthy() && System.nanoTime() - pausedUntil < 0
                && !Thread.currentThread().isInterrupted()) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        List<CompletableFuture<?>> calls = new ArrayList<>();
        keys.forEach((keyId, state) -> {
            if (state.giveLeaseBack() != 0) {
                calls.add(settleNowAnyway(state, counterKey(keyId, state.month), now));
            }
        });
        RedisLink.awaitAll(calls, Duration.ofSeconds(CLOSE_WAIT_SECONDS));
        long left = keys.values().stream().mapToLong(state -> state.unsent.get()).filter(n -> n != 0).count();
        if (left > 0) {
            log.warn("Quota counts of {} keys did not reach Redis before this validator stopped: they are lost", left);
        }
    }

    /**
     * Whether every request is counted in Redis through {@code link} (exact mode), so that a script run there may count
     * one as it does.
     */
    boolean countsEachRequestOn(RedisLink link) {
        return !leased && this.link == link;
    }

    /**
     * A request of {@code keyId} at {@code now} to be counted in Redis: the state it is decided on and the counter it
     * goes to. A late request of the month before is counted in that month's count in Redis, with a single count and
     * on a state of its own; only when Redis cannot be asked is it decided and counted against the newer month's.
     */
    Count count(String keyId, long requestsPerMonth, Instant now) {
        YearMonth month = QuotaState.month(now);
        // What an earlier month admitted offline and never settled is not carried into the next month either.
        sweep.reached(month, before -> keys.values().removeIf(key -> key.month.isBefore(before)));
        KeyMonth kept = keys.compute(keyId, (id, current) -> KeyMonth.next(current, month, requestsPerMonth));
        KeyMonth state = kept.month.equals(month) ? kept
                : new KeyMonth(month, requestsPerMonth, new AtomicLong(), new AtomicLong(), 0);
        return new Count(state, kept, counterKey(keyId, month), now);
    }

    /**
     * One request's count: {@code state} is what it is decided on and {@code kept} the state this edge keeps for the
     * key, {@code state} itself, or for a late request of the month before the newer month's, against which it is
     * decided and counted offline, since its own knows no count (the newer month is charged a request of the month
     * before: errs towards denying).
     */
    final class Count {
        private final KeyMonth state;
        private final KeyMonth kept;
        final String key;
        private final Instant now;
        /** What this edge admitted offline that the call carries: 0 until {@link #settle}. */
        private long settled;
        /** Set when the reply came after the budget, possibly before the call's own continuation ran. */
        private volatile boolean lateRead;

        private Count(KeyMonth state, KeyMonth kept, String key, Instant now) {
            this.state = state;
            this.kept = kept;
            this.key = key;
            this.now = now;
        }

        /** Takes what this edge admitted offline and no call carries yet, for the call about to go to carry. */
        void settle() {
            // Nothing goes out while the link is paused: counts given back must not be taken as given then.
            settled = link.healthy() ? state.unsent.getAndSet(0) : 0;
        }

        /** The counter script's arguments after the key: take {@code wanted}, carrying what was settled. */
        String[] arguments(long wanted, boolean partial) {
            // The counter's month, not the caller's: a call made in a later month (closing, settling) must not
            // expire it sooner.
            long monthEnds = QuotaState.resetsAt(state.month).getEpochSecond();
            return new String[] {Long.toString(state.quota), Long.toString(wanted), partial ? "1" : "0",
                    Long.toString(settled), Long.toString(monthEnds + EXPIRY_SLACK_SECONDS)};
        }

        /**
         * Decides from the script's reply ({requests taken, count after}), or offline when there was none, and either
         * way accounts for the settled requests the call carried.
         */
        QuotaState decide(Optional<List<Long>> reply) {
            if (reply.isEmpty()) {
                unsent();
                link.countDegraded();
                QuotaState offline = kept.takeOffline(now);
                settleSoon();
                return offline;
            }
            long taken = reply.get().get(0);
            long used = reply.get().get(1);
            // The count Redis gave holds what this call settled: only then do they leave the offline count.
            state.seenUsed = used;
            state.offline.addAndGet(-settled);
            state.checkedAt = now.toEpochMilli();
            if (taken == 0) {
                return QuotaState.at(now, false, state.quota, used);
            }
            state.leaseUsedAt = System.nanoTime();
            state.lease.addAndGet(taken - 1);
            return QuotaState.at(now, true, state.quota, used - (taken - 1));
        }

        /**
         * Puts back the settled requests of a call that was not answered, for the next call to carry: at least once,
         * so a call Redis ran after all counts them twice (until its late reply is read). What the call gave back
         * (settled below 0) is taken as given, at most once: were it carried again and both ran, Redis would count
         * fewer than were admitted, and an edge could admit past the quota.
         */
        void unsent() {
            if (settled >= 0) {
                state.unsent.addAndGet(settled);
            } else {
                // The count Redis last gave, as if it had been given back (the late reply, when read first, gave the
                // count after it); a later reply says what Redis holds.
                if (!lateRead) {
                    state.seenUsed += settled;
                }
                state.offline.addAndGet(-settled);
            }
        }

        /**
         * The counter's reply ({requests taken, count after}) to a call decided without it, which came after the
         * budget after all: Redis counted what the call settled and took, which this edge put back to be carried again
         * (the settled ones, and the request when it admitted it offline). Those leave the edge's offline count and
         * are given back by the next call, so a late reply counts nothing twice; a request Redis took and the edge
         * refused is given back too, and a lease no one will use.
         */
        void late(List<Long> reply) {
            // What it gave back is taken as given when the call goes unanswered (unsent), which may come after this.
            lateRead = true;
            long counted = Math.max(0, settled) + reply.get(0);
            long used = reply.get(1);
            // Raised only: a reply read after a newer one would lower it. A newer reply read after this one, as a
            // loop's own connection may, sets it back until the next reply.
            if (used > state.seenUsed) {
                state.seenUsed = used;
            }
            state.offline.addAndGet(-counted);
            // Sent soon rather than with the key's next request, which may not come before this edge stops.
            if (state.unsent.addAndGet(-counted) != 0) {
                settleSoon();
            }
        }
    }

    /** One key's count for one month and quota, as this edge knows it. */
    private static final class KeyMonth {
        final YearMonth month;
        final long quota;
        final AtomicLong lease = new AtomicLong();
        /** Set while a lease is being taken from Redis. */
        final AtomicBoolean leasing = new AtomicBoolean();
        /**
         * Admitted while Redis was unreachable and not yet in a count Redis gave back: offline decisions count them
         * all, also while a call carries them to Redis.
         */
        final AtomicLong offline;
        /** The part of {@link #offline} that no call is carrying: what the next call settles. */
        final AtomicLong unsent;
        volatile long seenUsed;
        /** When the lease was last taken from or added to ({@link System#nanoTime}). */
        volatile long leaseUsedAt = System.nanoTime();
        /** When Redis was last asked for the count: epoch milliseconds of the request a reply decided, or a recheck. */
        volatile long checkedAt;
        /** Set while a call that settles and reads the count is on its way (a recheck, the settler, closing). */
        final AtomicBoolean settling = new AtomicBoolean();

        private KeyMonth(YearMonth month, long quota, AtomicLong offline, AtomicLong unsent, long seenUsed) {
            this.month = month;
            this.quota = quota;
            this.offline = offline;
            this.unsent = unsent;
            this.seenUsed = seenUsed;
        }

        /**
         * The same state while month and quota hold; a changed quota gives the lease back (it was sized for the old
         * one) but keeps the month's counts, a new month starts from nothing. A late request of an earlier month
         * leaves the state as it is.
         */
        static KeyMonth next(KeyMonth current, YearMonth month, long quota) {
            if (current == null || current.month.isBefore(month)) {
                return new KeyMonth(month, quota, new AtomicLong(), new AtomicLong(), 0);
            }
            if (current.month.isAfter(month) || current.quota == quota) {
                return current;
            }
            // Redis counts the unused lease as taken, which a lowered quota would otherwise find used up early.
            current.giveLeaseBack();
            return new KeyMonth(month, quota, current.offline, current.unsent, current.seenUsed);
        }

        /** Has the next call give the unused lease back to Redis; what is then left to settle. */
        long giveLeaseBack() {
            long unused = lease.getAndSet(0);
            offline.addAndGet(-unused);
            return unsent.addAndGet(-unused);
        }

        /** The lease left after taking one request from it, or -1 when it is empty. */
        long tryTakeLease() {
            while (true) {
                long current = lease.get();
                if (current <= 0) {
                    return -1;
                }
                if (lease.compareAndSet(current, current - 1)) {
                    leaseUsedAt = System.nanoTime();
                    return current - 1;
                }
            }
        }

        QuotaState takeOffline(Instant now) {
            while (true) {
                long pending = offline.get();
                long used = seenUsed + pending;
                if (used >= quota) {
                    return QuotaState.at(now, false, quota, used);
                }
                if (offline.compareAndSet(pending, pending + 1)) {
                    unsent.incrementAndGet();
                    return QuotaState.at(now, true, quota, used + 1);
                }
            }
        }
    }
}
