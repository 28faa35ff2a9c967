package io.latchkey.validator.redis;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * When a {@link RedisLink} stays away from Redis. A failure pauses it, and so does a stall: at least {@link #STALL}
 * misses of the budget in a row, with no reply in time between them, the first and the last at least {@link #STALL}
 * budgets apart. A burst of late replies, as one collection in this JVM or one busy moment of Redis makes, comes in
 * within a budget or two and is not a stall; counting alone would not tell them apart, since at 5,000 calls a second
 * three misses in a row take a 5 ms hiccup. A brown-out is a stall too: a Redis late as often as in time, or more,
 * over the {@link #BROWN_OUT} budgets that follow a miss, which the rule above misses as long as replies in time
 * keep breaking the runs; one hiccup's burst is outweighed by the replies in time after it. Every pause starts a new
 * generation: a call sent in an earlier one counts for nothing, neither as a miss nor as a reply, so the calls still
 * waiting when a pause begins cannot decide what follows it.
 *
 * <p>An outage runs from a pause until replies come in time over two budgets with no miss among them: by then every
 * call sent in the budget after the first reply in time has its reply or its miss (a single reply in time would end a
 * brown-out's outage after every pause, most of its calls still late). Its first pause is
 * short, {@link #SHORTEST} budgets: a stall is as often this machine's own hiccup (a collection, the scheduler) as
 * Redis's, and a pause of a second after a hiccup of 15 ms would send thousands of decisions to local buckets. Within
 * an outage one miss is a stall, and each pause is twice as long as the last, up to the longest, so a dead Redis is
 * tried about once in that long. Times are {@link System#nanoTime()} readings, passed in.
 */
final class LinkPauses {

    static final int STALL = 3;
    static final int SHORTEST = 4;
    static final int BROWN_OUT = 20;
    /** What {@link #replied} answers outside an outage. */
    static final long NO_OUTAGE = Long.MIN_VALUE;

    private final long budgetNanos;
    private final long stallNanos;
    private final long brownOutNanos;
    private final long shortestPause;
    private final long longestPause;
    private final Object lock = new Object();
    /** Read before {@link #pausedUntil} and written after it: a call that sees a generation sees its pause. */
    private volatile int generation;
    private volatile long pausedUntil;
    /** True while misses are counted, so that a reply in time ends the run; misses are rare and counted under lock. */
    private volatile boolean missing;
    private volatile boolean inOutage;
    private int misses;
    private long firstMiss;
    /**
     * True from a miss until replies in time outnumber the misses since, at least {@link #BROWN_OUT} budgets on, or a
     * miss begins the next window. Replies in time are counted without the lock: every reply may come while watching.
     */
    private volatile boolean watching;
    private volatile long watchedSince;
    private volatile int watchedMisses;
    private final AtomicInteger watchedInTime = new AtomicInteger();
    private long pauseNanos;
    private long outageBegan;
    /** Whether a reply came in time since the outage's last pause, and when the first did. */
    private boolean inTimeSincePause;
    private long firstInTime;

    /** What {@link #pause} began, and when the outage it belongs to began. */
    record Pause(long nanos, long outageBegan) {
    }

    /** @param longestPause the longest pause, and the only one when shorter than {@link #SHORTEST} budgets */
    LinkPauses(long budgetNanos, long longestPause, long now) {
        this.budgetNanos = budgetNanos;
        this.stallNanos = STALL * budgetNanos;
        this.brownOutNanos = BROWN_OUT * budgetNanos;
        this.longestPause = longestPause;
        this.shortestPause = Math.min(SHORTEST * budgetNanos, longestPause);
        this.pausedUntil = now;
    }

    /** The generation a call is sent in; read it before asking {@link #open}. */
    int generation() {
        return generation;
    }

    boolean open(long now) {
        return now - pausedUntil >= 0;
    }

    /** False from a miss until a reply in time, and through an outage. */
    boolean answeringInTime() {
        return !missing && !inOutage;
    }

    /**
     * A reply in time to a call sent in {@code sentIn}: it ends a run of misses, and an outage when replies have come
     * in time for a budget since the last pause, and counts against the misses of a brown-out. When the outage it
     * ended began, or {@link #NO_OUTAGE} when it ended none.
     */
    long replied(int sentIn, long now) {
        if (watching && watchedInTime.incrementAndGet() > watchedMisses && now - watchedSince >= brownOutNanos) {
            synchronized (lock) {
                if (watchedInTime.get() > watchedMisses) {
                    watching = false;
                }
            }
        }
        if (!missing && !inOutage) {
            return NO_OUTAGE;
        }
        synchronized (lock) {
            if (sentIn != generation) {
                return NO_OUTAGE;
            }
            if (missing) {
                missing = false;
            }
            if (!inOutage) {
                return NO_OUTAGE;
            }
            if (!inTimeSincePause) {
                inTimeSincePause = true;
                firstInTime = now;
            }
            if (now - firstInTime < 2 * budgetNanos) {
                return NO_OUTAGE;
            }
            inOutage = false;
            return outageBegan;
        }
    }

    /** Counts a miss of a call sent in {@code sentIn}; true when it makes a stall, to be ended by {@link #pause}. */
    boolean missed(int sentIn, long now) {
        synchronized (lock) {
            if (sentIn != generation) {
                return false;
            }
            if (inOutage) {
                return true;
            }
            if (watching && now - watchedSince >= brownOutNanos) {
                // Judged by the first miss after the window, unless that comes so late that it is no part of it.
                if (now - watchedSince < 2 * brownOutNanos
                        && watchedMisses + 1 >= Math.max(STALL, watchedInTime.get())) {
                    return true;
                }
                watching = false;
            }
            if (!watching) {
                watchedSince = now;
                watchedMisses = 0;
                watchedInTime.set(0);
                watching = true;
            }
            watchedMisses++;
            if (!missing) {
                misses = 0;
                firstMiss = now;
                missing = true;
            }
            misses++;
            return misses >= STALL && now - firstMiss >= stallNanos;
        }
    }

    /**
     * Pauses from {@code now}, unless a pause began since {@code sentIn}: the calls of one generation pause the link
     * once. Null when this call began none.
     */
    Pause pause(int sentIn, long now) {
        synchronized (lock) {
            if (sentIn != generation) {
                return null;
            }
            boolean first = !inOutage;
            pauseNanos = first ? shortestPause : Math.min(2 * pauseNanos, longestPause);
            if (first) {
                outageBegan = now;
            }
            pausedUntil = now + pauseNanos;
            generation = sentIn + 1;
            // In this order: a reply that finds no run of misses must find the outage.
            inOutage = true;
            missing = false;
            watching = false;
            inTimeSincePause = false;
            return new Pause(pauseNanos, outageBegan);
        }
    }

    /** Pauses from {@code now} whatever was sent: nothing could be. */
    Pause pauseNow(long now) {
        synchronized (lock) {
            return pause(generation, now);
        }
    }
}
