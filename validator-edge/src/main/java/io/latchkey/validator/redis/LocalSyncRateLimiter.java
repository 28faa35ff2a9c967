package io.latchkey.validator.redis;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.RateLimitState;
import io.latchkey.validator.RateLimiter;
import io.latchkey.validator.ratelimit.LocalRateLimiter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Local-sync mode: decisions come from a lease of tokens this edge holds for the key, taken in batches from the same
 * shared Redis bucket the exact mode uses, so the hot path is an atomic decrement. Leases are topped up in the
 * background when they run low; only a decision that finds its lease empty goes to Redis itself (one token, like
 * exact mode). A lease left unused for a sync interval is given back to the shared bucket.
 *
 * <p>Consistency: every admitted request took a token from the shared bucket, but the bucket refills while tokens sit
 * in leases, so a burst after a quieter spell can find a full bucket and every edge's lease: at most one batch
 * (capacity / {@value #BATCH_DIVISOR}) per edge above what exact mode admits, 3 % with three edges; a key whose
 * bucket holds fewer than {@value #BATCH_DIVISOR} tokens gets no lease and is decided by the shared bucket alone, a
 * round trip each as in exact mode, since a lease of one token would be more than that. A refill tops the
 * lease up to one batch, never more. Edges may also admit less: tokens leased to an edge that receives no more traffic
 * are idle for at most a sync interval; and a batch whose give-back gets no reply in time is given up by this edge,
 * whether or not Redis ran it (a batch per run of misses). A refill whose reply comes late gives its tokens back.
 * While Redis is unreachable decisions come from local buckets, counted as degraded, like exact mode; each follows
 * what the shared bucket had left at its last reply, with this edge's lease.
 */
public final class LocalSyncRateLimiter implements RateLimiter, AutoCloseable {

    private static final int BATCH_DIVISOR = 100;
    private static final int GIVE_BACK_ATTEMPTS = 600;

    private final RedisLink link;
    private final LocalRateLimiter local;
    private final Map<String, Lease> leases = new ConcurrentHashMap<>();
    private final ScheduledExecutorService background;
    private final long syncNanos;

    public LocalSyncRateLimiter(RedisLink link, Duration syncInterval) {
        this.link = Objects.requireNonNull(link, "link is required: a RedisLink.open");
        Objects.requireNonNull(syncInterval, "syncInterval is required: how long an unused lease is kept");
        if (syncInterval.isNegative() || syncInterval.isZero()) {
            throw new IllegalArgumentException("syncInterval must be positive, not " + syncInterval);
        }
        this.local = LocalRateLimiter.create();
        this.syncNanos = syncInterval.toNanos();
        link.preload(ExactRedisRateLimiter.BUCKET);
        this.background = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "latchkey-ratelimit-sync");
            thread.setDaemon(true);
            return thread;
        });
        background.scheduleWithFixedDelay(this::giveBackIdleLeases, syncNanos, syncNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public RateLimitState acquire(String keyId, RateLimit limit) {
        RateLimitState decided = withoutWaiting(keyId, limit);
        return decided != null ? decided : link.await(() -> fromShared(keyId, limit));
    }

    @Override
    public CompletableFuture<RateLimitState> acquireAsync(String keyId, RateLimit limit) {
        RateLimitState decided = withoutWaiting(keyId, limit);
        return decided != null ? CompletableFuture.completedFuture(decided) : fromShared(keyId, limit);
    }

    /**
     * From the key's lease, or from local buckets while Redis is down; null when the lease is empty, so that the
     * shared bucket must be asked (a refill is then on its way).
     */
    private RateLimitState withoutWaiting(String keyId, RateLimit limit) {
        if (!link.healthy()) {
            link.countDegraded();
            return local.acquire(keyId, limit);
        }
        Lease lease = leases.computeIfAbsent(keyId, id -> new Lease(limit));
        if (!limit.equals(lease.limit)) {
            changed(keyId, lease, limit);
        }
        lease.lastUsed = System.nanoTime();
        long left = lease.tryTake();
        long batch = batch(limit);
        if (left >= 0) {
            if (left < batch / 2) {
                refillSoon(keyId, lease);
            }
            return lease.state(true, left);
        }
        if (batch > 0) {
            refillSoon(keyId, lease);
        }
        return null;
    }

    /**
     * The key's limit changed: the tokens leased under the old one are not spent, so that a lowered limit holds from
     * this decision on rather than once the lease is used up. A lowered limit drops them: given back, they could
     * reach the shared bucket after this decision's own take and refill what it spent. A raised one gives them back
     * under the new limit, which the shared bucket takes only once it has been taken from under that limit, and this
     * give-back usually comes first: it drops them then, as it drops every give-back of another limit than its last
     * take's (token-bucket.lua), and the edge admits up to a lease less until the bucket refills. Edges with no
     * request since the change do not know of it; their leases go back once idle, under the old limit, and are dropped.
     */
    private void changed(String keyId, Lease lease, RateLimit limit) {
        long unused;
        RateLimit before;
        synchronized (lease) {
            before = lease.limit;
            if (limit.equals(before)) {
                return;
            }
            // Emptied before the new limit is published: a decision that sees the new limit finds no old token.
            unused = lease.tokens.getAndSet(0);
            // A refill on its way under the old limit is not added either.
            lease.coming = 0;
            lease.seen = null;
            lease.limit = limit;
        }
        if (unused > 0 && limit.capacity() > before.capacity()) {
            background.execute(() -> ExactRedisRateLimiter.take(link, keyId, limit, -unused, false));
        }
    }

    /** Drops this edge's lease for a key without giving it back: for a key about to be deleted. */
    void forget(String keyId) {
        leases.remove(keyId);
    }

    /** One token from the shared bucket, or from a local one when Redis does not answer within the budget. */
    private CompletableFuture<RateLimitState> fromShared(String keyId, RateLimit limit) {
        return ExactRedisRateLimiter.takeAsync(link, keyId, limit, 1, false).thenApply(shared -> {
            if (shared.isEmpty()) {
                link.countDegraded();
                return local.acquire(keyId, limit);
            }
            RateLimitState state = shared.get().state();
            Lease lease = leases.get(keyId);
            long held = 0;
            if (lease != null) {
                lease.saw(state);
                held = lease.held();
            }
            // Admitted: the refill on its way counts as held though Redis may have run it before this take, which then
            // counted it already; a request just admitted leaves the bucket short of full either way. Refused: none
            // left, though a refill that took the last tokens before this take may have landed in the lease meanwhile.
            long available = state.allowed() ? Math.min(limit.capacity() - 1, state.remaining() + held)
                    : state.remaining();
            local.follow(keyId, limit, available);
            return told(limit, state.allowed(), available, state.retryAfterSeconds());
        });
    }

    /**
     * What a decision tells of the key's bucket: the tokens available to it, the shared bucket's as last seen and this
     * edge's lease, and the seconds until the tokens missing from both have come back. The shared bucket's own time to
     * full would count the lease as missing, which for a large burst is days of tokens the client still has.
     */
    static RateLimitState told(RateLimit limit, boolean allowed, long available, long retryAfterSeconds) {
        long missing = Math.max(0, limit.capacity() - available);
        long resetSeconds = (missing * limit.periodSeconds() + limit.limit() - 1) / limit.limit();
        return new RateLimitState(allowed, limit.limit(), limit.periodSeconds(), available, resetSeconds,
                retryAfterSeconds);
    }

    /**
     * The tokens a lease holds: a hundredth of the bucket. None for a bucket of fewer than {@value #BATCH_DIVISOR}
     * tokens, whose decisions all go to the shared bucket as in exact mode: a lease of even one token would let each
     * edge pass the limit by more than a hundredth of it.
     */
    private static long batch(RateLimit limit) {
        return limit.capacity() / BATCH_DIVISOR;
    }

    private void refillSoon(String keyId, Lease lease) {
        // Not while a reply is late: the lease runs dry, and decisions take single tokens until one is in time.
        if (link.answeringInTime() && lease.refilling.compareAndSet(false, true)) {
            background.execute(() -> {
                try {
                    RateLimit limit = lease.limit;
                    long wanted = batch(limit) - lease.tokens.get();
                    if (wanted <= 0) {
                        return;
                    }
                    synchronized (lease) {
                        // A limit changed since it was read: the refill would not be added (below).
                        if (!limit.equals(lease.limit)) {
                            return;
                        }
                        lease.coming = wanted;
                    }
                    ExactRedisRateLimiter.take(link, keyId, limit, wanted, true,
                            late -> giveBackLate(keyId, limit, late)).ifPresent(taken -> {
                        synchronized (lease) {
                            lease.coming = 0;
                            // Taken under a limit that has changed meanwhile: not added, whichever way it changed.
                            if (limit.equals(lease.limit)) {
                                long held = lease.tokens.addAndGet(taken.tokens());
                                lease.saw(taken.state());
                                local.follow(keyId, limit, taken.state().remaining() + held);
                            }
                        }
                    });
                } finally {
                    lease.coming = 0;
                    lease.refilling.set(false);
                }
            });
        }
    }

    /**
     * A refill whose reply came after the budget: this edge gave it up, so its tokens go back to the shared bucket,
     * which would otherwise miss them until it refilled them (for a large burst, days).
     */
    private void giveBackLate(String keyId, RateLimit limit, ExactRedisRateLimiter.Taken taken) {
        if (taken.tokens() > 0) {
            giveBackWhenOpen(keyId, limit, taken.tokens(), 0);
        }
    }

    /**
     * Gives tokens back once the link is not paused (a paused link sends nothing), trying for about a minute; not
     * when the key's limit changed meanwhile, whose tokens {@link #changed} settles.
     */
    private void giveBackWhenOpen(String keyId, RateLimit limit, long tokens, int attempt) {
        Lease lease = leases.get(keyId);
        if (lease != null && !limit.equals(lease.limit)) {
            return;
        }
        if (link.healthy()) {
            ExactRedisRateLimiter.takeAsync(link, keyId, limit, -tokens, false);
        } else if (attempt < GIVE_BACK_ATTEMPTS && !background.isShutdown()) {
            try {
                background.schedule(() -> giveBackWhenOpen(keyId, limit, tokens, attempt + 1), 100,
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                // Closed meanwhile: the shared bucket refills them.
            }
        }
    }

    private void giveBackIdleLeases() {
        // Kept while Redis is away: nothing could be sent, and the edge decides from local buckets meanwhile.
        if (!link.healthy()) {
            return;
        }
        long now = System.nanoTime();
        leases.forEach((keyId, lease) -> {
            if (now - lease.lastUsed < syncNanos || lease.refilling.get()) {
                return;
            }
            Unused unused = lease.takeUnused();
            if (unused.tokens() > 0) {
                // Not kept when the reply is late: Redis most likely has them back, and twice would pass the limit.
                ExactRedisRateLimiter.take(link, keyId, unused.limit(), -unused.tokens(), false);
            } else {
                leases.remove(keyId, lease);
            }
        });
    }

    /** Tokens a lease held, taken to give back, and the limit they were leased under. */
    private record Unused(long tokens, RateLimit limit) {
    }

    /** Tokens this edge holds for one key, and the shared bucket's state as last seen. */
    private static final class Lease {
        final AtomicLong tokens = new AtomicLong();
        final AtomicBoolean refilling = new AtomicBoolean();
        volatile RateLimit limit;
        volatile long lastUsed = System.nanoTime();
        volatile RateLimitState seen;
        /** When {@link #seen} was read ({@link System#nanoTime}). */
        volatile long seenAt;
        /** The tokens a refill on its way asked for, until its reply is added to {@link #tokens}. */
        volatile long coming;

        Lease(RateLimit limit) {
            this.limit = limit;
        }

        /** The shared bucket's state from a reply read now. */
        void saw(RateLimitState state) {
            seenAt = System.nanoTime();
            seen = state;
        }

        /**
         * The tokens this edge holds and those a refill on its way asked for. A take that Redis ran after the refill,
         * its reply read before the refill's, counts the refill's tokens as missing from the shared bucket although the
         * lease is about to hold them: for a large burst, days to full told of a bucket that is full. Which of the two
         * Redis ran first cannot be told from here (a take may be sent before a refill that was started earlier), so a
         * take run first counts them twice: one batch too many until the next reply, a hundredth of the time to full
         * too little, which the capacity caps near full.
         */
        synchronized long held() {
            return tokens.get() + coming;
        }

        /**
         * Takes every token the lease holds, to give back, with the limit they were leased under: together, as a
         * limit changed between the two would give the old lease's tokens back under the new one.
         */
        synchronized Unused takeUnused() {
            return new Unused(tokens.getAndSet(0), limit);
        }

        /** The tokens left after taking one, or -1 when there was none. */
        long tryTake() {
            while (true) {
                long current = tokens.get();
                if (current <= 0) {
                    return -1;
                }
                if (tokens.compareAndSet(current, current - 1)) {
                    return current - 1;
                }
            }
        }

        RateLimitState state(boolean allowed, long left) {
            RateLimit current = limit;
            RateLimitState shared = seen;
            if (shared == null) {
                return told(current, allowed, left, 0);
            }
            // The shared bucket has refilled since its last reply: uncounted, the seconds to full would only grow.
            double refilled = (System.nanoTime() - seenAt) / 1e9 * current.limit() / current.periodSeconds();
            // A request just admitted leaves the bucket short of full, however the lease and the shared one add up.
            long available = (long) Math.min(current.capacity() - (allowed ? 1 : 0), left + shared.remaining()
                    + refilled);
            return told(current, allowed, available, 0);
        }
    }

    /**
     * Gives the unused leases back, waiting up to a second, and stops: a stopping edge would otherwise leave them
     * missing from the shared buckets until they refill. Close it before its {@link RedisLink}.
     */
    @Override
    public void close() {
        background.shutdownNow();
        List<CompletableFuture<?>> calls = new ArrayList<>();
        if (link.healthy()) {
            leases.forEach((keyId, lease) -> {
                Unused unused = lease.takeUnused();
                if (unused.tokens() > 0) {
                    calls.add(ExactRedisRateLimiter.takeAsync(link, keyId, unused.limit(), -unused.tokens(), false));
                }
            });
        }
        // Late or failed: the shared buckets refill what did not come back.
        RedisLink.awaitAll(calls, Duration.ofSeconds(1));
    }
}
