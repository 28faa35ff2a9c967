package io.latchkey.validator.redis;

import io.latchkey.api.RateLimit;
import io.latchkey.validator.QuotaLimiter;
import io.latchkey.validator.QuotaState;
import io.latchkey.validator.RateAndQuotaState;
import io.latchkey.validator.RateLimitState;
import io.latchkey.validator.RateLimiter;
import io.latchkey.validator.ratelimit.LocalRateLimiter;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Consumer;

/**
 * Exact mode: one bucket per key in Redis, shared by every edge, taken atomically by a Lua script in one round trip
 * ({@link LuaScript}, which survives a flush of Redis's script cache). While the {@link RedisLink} is paused, or a
 * reply is late, decisions come from local buckets and are counted as degraded: each local bucket follows what the
 * shared one had left at its last reply and refills from there, so a late reply does not open a full bucket for a key
 * the shared one is throttling; during an outage each edge admits up to the limit's rate on its own. What a local
 * bucket gave is owed to the shared one, and the key's next call charges it ({@link OwedTokens}): one edge through
 * any number of stalls admits no more than the limit, and what edges together admitted beyond it in an outage is
 * paid back afterwards as the bucket refills (it may hold down to minus its capacity; each edge owes a bucket at
 * most). A key that also
 * has a quota counted through the same {@link RedisLink} ({@link RedisQuotaLimiter#exact}) is decided in the same
 * round trip, by one script. {@link #acquireAsync} does not wait for Redis, so an event loop may ask it.
 */
public final class ExactRedisRateLimiter implements RateLimiter {

    static final LuaScript BUCKET = LuaScript.of(
            "return take_tokens(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])", "token-bucket.lua");
    /**
     * A token and, only when one was taken, a request counted against the quota, in one run: the bucket's arguments
     * and then the counter's, the bucket's reply, the counter's (which settles what this edge admitted offline either
     * way), 1 when the quota was used up already, so that the bucket was left alone but for the tokens owed to it
     * (its four fields are then 0), and the owed tokens charged.
     */
    static final LuaScript BUCKET_AND_COUNTER = LuaScript.of("""
            if tonumber(redis.call('GET', KEYS[2]) or '0') + tonumber(ARGV[10]) >= tonumber(ARGV[7]) then
              local charged = 0
              if tonumber(ARGV[6]) ~= 0 then
                charged = take_tokens(KEYS[1], ARGV[1], ARGV[2], ARGV[3], '0', ARGV[5], ARGV[6])[5]
              end
              local quota = count_requests(KEYS[2], ARGV[7], '0', ARGV[9], ARGV[10], ARGV[11])
              return {0, 0, 0, 0, quota[1], quota[2], 1, charged}
            end
            local rate = take_tokens(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
            local wanted = '0'
            if rate[1] > 0 then
              wanted = ARGV[8]
            end
            local quota = count_requests(KEYS[2], ARGV[7], wanted, ARGV[9], ARGV[10], ARGV[11])
            return {rate[1], rate[2], rate[3], rate[4], quota[1], quota[2], 0, rate[5]}
            """, "token-bucket.lua", "monthly-quota.lua");
    private static final String PREFIX = "latchkey:rl:";

    private final RedisLink link;
    private final LocalRateLimiter local;
    private final OwedTokens owed = new OwedTokens(System::nanoTime, ForkJoinPool.commonPool());

    public ExactRedisRateLimiter(RedisLink link) {
        this(link, LocalRateLimiter.create());
    }

    ExactRedisRateLimiter(RedisLink link, LocalRateLimiter local) {
        this.link = Objects.requireNonNull(link, "link is required: a RedisLink.open");
        this.local = local;
        link.preload(BUCKET);
        link.preload(BUCKET_AND_COUNTER);
    }

    static String bucketKey(String keyId) {
        return PREFIX + keyId;
    }

    @Override
    public RateLimitState acquire(String keyId, RateLimit limit) {
        return link.await(() -> acquireAsync(keyId, limit));
    }

    @Override
    public CompletableFuture<RateLimitState> acquireAsync(String keyId, RateLimit limit) {
        long charged = owed.take(keyId);
        // A late reply takes back what Redis charged, which its bounds may have made less than the call carried.
        return takeAsync(link, keyId, limit, 1, false, charged,
                        late -> owed.add(keyId, limit, -late.owedCharged() - late.tokens()))
                .thenApply(shared -> decided(keyId, limit, shared, charged));
    }

    /**
     * Decided locally when Redis did not answer in time, the tokens the call charged and the one given here owed (a
     * late reply takes back what it shows the call took); otherwise the shared bucket's answer, which the local one
     * follows.
     */
    private RateLimitState decided(String keyId, RateLimit limit, Optional<Taken> shared, long charged) {
        if (shared.isEmpty()) {
            link.countDegraded();
            RateLimitState state = local.acquire(keyId, limit);
            owed.add(keyId, limit, charged + (state.allowed() ? 1 : 0), limit.capacity() - state.remaining());
            return state;
        }
        RateLimitState state = shared.get().state();
        // What the bucket's floor kept Redis from charging is still owed (a give-back a full bucket could not take is
        // not): calls that missed their budget each carried the debt as it stood, and their late replies take back
        // only what Redis charged them.
        long unpaid = charged - shared.get().owedCharged();
        if (unpaid > 0) {
            owed.add(keyId, limit, unpaid, limit.capacity());
        }
        local.follow(keyId, limit, state.remaining());
        return state;
    }

    @Override
    public RateAndQuotaState acquireWithQuota(String keyId, RateLimit limit, QuotaLimiter quotaLimiter,
                                              long requestsPerMonth, Instant now) {
        // Any other quota limiter is asked on this thread, as the interface does, never on a thread Redis replies on.
        return combines(quotaLimiter)
                ? link.await(() -> acquireWithQuotaAsync(keyId, limit, quotaLimiter, requestsPerMonth, now))
                : RateLimiter.super.acquireWithQuota(keyId, limit, quotaLimiter, requestsPerMonth, now);
    }

    private boolean combines(QuotaLimiter quotaLimiter) {
        return quotaLimiter instanceof RedisQuotaLimiter counter && counter.countsEachRequestOn(link);
    }

    /**
     * One round trip for both when {@code quotaLimiter} is {@link RedisQuotaLimiter#exact} on this limiter's
     * {@link RedisLink}; otherwise the rate limit and then the quota, as any limiter does.
     */
    @Override
    public CompletionStage<RateAndQuotaState> acquireWithQuotaAsync(String keyId, RateLimit limit,
                                                                    QuotaLimiter quotaLimiter, long requestsPerMonth,
                                                                    Instant now) {
        if (!combines(quotaLimiter)) {
            return RateLimiter.super.acquireWithQuotaAsync(keyId, limit, quotaLimiter, requestsPerMonth, now);
        }
        QuotaState usedUp = quotaLimiter.usedUp(keyId, requestsPerMonth, now);
        if (usedUp != null) {
            return CompletableFuture.completedFuture(RateAndQuotaState.usedUp(usedUp));
        }
        RedisQuotaLimiter.Count count = ((RedisQuotaLimiter) quotaLimiter).count(keyId, requestsPerMonth, now);
        count.settle();
        long charged = owed.take(keyId);
        String[] arguments = concat(bucketArguments(limit, 1, false, charged), count.arguments(1, false));
        return BUCKET_AND_COUNTER.runAsync(link, new String[] {bucketKey(keyId), count.key}, counts -> {
                    count.late(counterPart(counts));
                    owed.add(keyId, limit, -counts.get(7) - counts.get(0));
                }, arguments)
                .thenApply(reply -> {
                    Optional<List<Long>> counted = reply.map(ExactRedisRateLimiter::counterPart);
                    if (reply.isPresent() && reply.get().get(6) == 1) {
                        return RateAndQuotaState.usedUp(count.decide(counted));
                    }
                    RateLimitState rateLimit = decided(keyId, limit, reply.map(counts -> taken(limit, counts, 7)),
                            charged);
                    if (rateLimit.allowed()) {
                        QuotaState quotaState = count.decide(counted);
                        if (reply.isEmpty() && !quotaState.allowed()) {
                            // Refused by the quota after all: the token the local bucket gave is not owed.
                            owed.add(keyId, limit, -1);
                        }
                        return new RateAndQuotaState(rateLimit, quotaState);
                    }
                    // The script settled what the call carried; without a reply, the next call carries it.
                    if (reply.isPresent()) {
                        count.decide(counted);
                    } else {
                        count.unsent();
                    }
                    return new RateAndQuotaState(rateLimit, null);
                });
    }

    /** The counter's part of {@link #BUCKET_AND_COUNTER}'s reply: {requests taken, count after}. */
    private static List<Long> counterPart(List<Long> reply) {
        return reply.subList(4, 6);
    }

    private static String[] concat(String[] first, String[] second) {
        String[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    /**
     * What one run of the script took (negative: gave back), the bucket's state after it, and the owed tokens it
     * charged.
     */
    record Taken(long tokens, RateLimitState state, long owedCharged) {
    }

    /**
     * Takes {@code cost} tokens (all or none; with {@code partial} as many as there are, up to {@code cost}) from the
     * shared bucket of {@code keyId}; empty when Redis did not answer within the link's budget.
     */
    static Optional<Taken> take(RedisLink link, String keyId, RateLimit limit, long cost, boolean partial) {
        return take(link, keyId, limit, cost, partial, null);
    }

    /**
     * As {@link #take}, handing what a call took to {@code late} (null for none) when its reply comes after the budget
     * after all ({@link RedisLink#callAsync(java.util.function.Function, Consumer)}).
     */
    static Optional<Taken> take(RedisLink link, String keyId, RateLimit limit, long cost, boolean partial,
                                Consumer<Taken> late) {
        return link.await(() -> takeAsync(link, keyId, limit, cost, partial, 0, late));
    }

    /** As {@link #take}, without waiting: see {@link RedisLink#callAsync}. */
    static CompletableFuture<Optional<Taken>> takeAsync(RedisLink link, String keyId, RateLimit limit, long cost,
                                                       boolean partial) {
        return takeAsync(link, keyId, limit, cost, partial, 0, null);
    }

    /** As {@link #takeAsync(RedisLink, String, RateLimit, long, boolean)}, charging {@code owed} tokens first. */
    private static CompletableFuture<Optional<Taken>> takeAsync(RedisLink link, String keyId, RateLimit limit,
                                                               long cost, boolean partial, long owed,
                                                               Consumer<Taken> late) {
        return BUCKET.runAsync(link, new String[] {bucketKey(keyId)},
                        late == null ? null : counts -> late.accept(taken(limit, counts, 4)),
                        bucketArguments(limit, cost, partial, owed))
                .thenApply(reply -> reply.map(counts -> taken(limit, counts, 4)));
    }

    /** The bucket's arguments; {@code owed}: tokens given while it could not be asked, charged first. */
    private static String[] bucketArguments(RateLimit limit, long cost, boolean partial, long owed) {
        return new String[] {Long.toString(limit.capacity()), Long.toString(limit.limit()),
                Long.toString(limit.periodSeconds() * 1000), Long.toString(cost), partial ? "1" : "0",
                Long.toString(owed)};
    }

    /**
     * The bucket's part of a script's reply: {tokens taken, millitokens left (negative while tokens given offline are
     * paid back), ms to the next token, ms to full}, with the owed tokens charged, the bucket script's fifth field and
     * the combined one's eighth.
     */
    private static Taken taken(RateLimit limit, List<Long> counts, int owedChargedAt) {
        return new Taken(counts.get(0), new RateLimitState(counts.get(0) > 0, limit.limit(), limit.periodSeconds(),
                Math.max(0, counts.get(1) / 1000), ceilSeconds(counts.get(3)), ceilSeconds(counts.get(2))),
                counts.get(owedChargedAt));
    }

    private static long ceilSeconds(long millis) {
        return (millis + 999) / 1000;
    }
}
