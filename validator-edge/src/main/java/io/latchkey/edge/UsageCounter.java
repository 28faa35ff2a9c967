package io.latchkey.edge;

import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.validator.UsageRecorder;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts every decision by key, minute, endpoint and outcome, without I/O. A decision may wait on a lock: while the
 * reporting thread folds its thread's batch, or while a fold adds a pair new in the minute (see below). Counters
 * are never reset; a report carries what each
 * counter gained since the last acknowledged report, so nothing counted between taking a report and its
 * acknowledgement is lost, and a report that failed is sent again unchanged. A minute's counters are dropped as a
 * whole once it has been over for {@value #LATE_MILLIS} ms and is fully reported. It is first retired: no decision
 * finds it any more (one of it counted later still, on a thread stalled between reading the clock and counting,
 * counts in the first minute after the latest retired while it is held, and in the minute made again once it is
 * dropped), and those that found it before are waited out, batches by folding every batch, counts in the maps by a
 * counter of those under way; what they added is reported before the minute goes. Acknowledgements are the minute's
 * own, so one made again never takes those of a report of the one dropped.
 * Decisions about keys that matched none count under {@value #UNKNOWN_KEY}, never under anything derived from the
 * secret. Each key keeps at most {@value #MAX_ENDPOINTS} distinct endpoints a minute; further ones count as
 * {@value #OTHER_ENDPOINT}, so clients cannot make the counters grow without bound. The table counts the endpoints it
 * holds and leaves room for those in the maps; endpoints that reach the maps only after the table's (URIs past those
 * remembered, outcomes past the table's) can take a key to twice the cap, no further.
 *
 * <p>Key ids and request URIs arrive as new strings on every decision, whose {@code hashCode} walks every character
 * through a chain of multiplications, and each hop through a map is a cache miss once many keys are counted. So a
 * decision about a key in a UUID's canonical form (every key Latchkey makes) at a remembered endpoint goes to its
 * thread's {@link PendingDecisions}, whose batches are folded into the minute's {@link UsageTable} (an entry by the
 * key's 128 bits and the endpoint's number) with their cache misses overlapping; a fold takes the batch's lock, and
 * the table's lock for a (key, endpoint) pair new in the minute. Reports fold every thread's batch first. Both strings
 * are read from the thread's {@link Latin1Text}, a copy of their bytes taken eight at a time: the key's bits from
 * there, and the hash of the URI's path (its query and fragment left out), under which the path is remembered in a
 * {@link ProbeTable}. Everything else counts at once in maps by key id and endpoint, and a report adds the two.
 */
final class UsageCounter {

    private static final Logger log = LoggerFactory.getLogger(UsageCounter.class);

    static final String UNKNOWN_KEY = ApiKeyUsageRecordedEvent.UNKNOWN_KEY;
    static final String NO_ENDPOINT = "*";
    static final String OTHER_ENDPOINT = "(other)";
    static final int MAX_ENDPOINTS = 32;
    static final int MAX_ENDPOINT_LENGTH = 128;
    /**
     * The most buckets a report holds for one key: the command side refuses a report with more, which would drop every
     * count in it, as after an outage of the command side long enough for one key's minutes to pile up.
     */
    static final int MAX_BUCKETS_PER_KEY = 2_000;
    /** How long after its end a minute's counters are kept for its late decisions: long enough for nearly all. */
    private static final long LATE_MILLIS = 15_000;
    /**
     * Minutes older than this are dropped though not reported while reports fail (the command side down, or the token
     * changed), and those twice as old while reports succeed but cannot keep up (with more keys than they
     * carry): the minutes would otherwise pile up until the edge ran out of memory.
     */
    static final int MAX_HELD_MINUTES = 30;
    /**
     * How long before a minute begins its counters are made, by the reporter's threads: long enough that a timer tick
     * or a flush comes within it, and not so long that they coincide with the last minute's.
     */
    private static final long PREPARE_AHEAD_MILLIS = 30_000;
    /** URI paths remembered with their endpoint; beyond this many, new ones are normalised every time. */
    private static final int MAX_REMEMBERED_URIS = 10_000;
    /** Outcomes are the decisions' ({@code Decision.usageOutcome}) and the refusals before one: fewer than this. */
    private static final int OUTCOME_SLOTS = 24;
    /** The slots of a key's counters at one endpoint in the maps: the time of the last decision, then the outcomes. */
    private static final int LAST_USED = 0;
    private static final int FIRST_OUTCOME = 1;
    /** Atomic access to counter arrays: a plain array is one memory load less than an AtomicLongArray. */
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    static final String OTHER_OUTCOME = "other";

    private final InstantSource clock;
    private final List<Minute> minutes = new CopyOnWriteArrayList<>();
    private final ProbeTable<Remembered> normalised = new ProbeTable<>(Remembered::hash);
    /** One {@link Endpoint} per remembered path, numbered from 1, and the paths by number. */
    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
    private final Map<Integer, String> paths = new ConcurrentHashMap<>();
    private final AtomicInteger endpointNumbers = new AtomicInteger();
    private final Endpoint noEndpoint;
    /** The outcomes' slots in the maps, where the last is {@value #OTHER_OUTCOME}, and in the table. */
    private final Outcomes outcomes = new Outcomes(OUTCOME_SLOTS - 1);
    private final Outcomes tabledOutcomes = new Outcomes(UsageTable.OUTCOMES);
    /** Each counting thread's decisions not yet in the tables, and all of them, for reports to fold. */
    private final List<PendingDecisions> pendings = new CopyOnWriteArrayList<>();
    private final ThreadLocal<PendingDecisions> pending = ThreadLocal.withInitial(() -> {
        PendingDecisions made = new PendingDecisions();
        pendings.add(made);
        return made;
    });
    private final PendingDecisions.Folder folder = new TableFolder();
    private final int tableCapacity;
    private final UsageRecorder recorder = (keyId, outcome, requestUri) -> record(keyId, requestUri, outcome);
    private volatile Minute current;
    /** The next minute, made ahead by the reporter's threads so that no decision waits while its table is zeroed. */
    private volatile Minute next;
    /** Held while the next minute's counters are made ahead. */
    private final Object makingAhead = new Object();
    /** The table entries of the minute dropped last, for sizing the next one. */
    private volatile int lastDropped;
    private final AtomicLong droppedUnreported = new AtomicLong();
    /** The latest minute retired: a decision of a minute retired and still held counts in the one after it. */
    private volatile long retiredThrough = -1;

    UsageCounter(InstantSource clock) {
        this(clock, UsageTable.MAX_CAPACITY);
    }

    /** A counter whose tables' arrays have at most {@code tableCapacity} entries (a power of two), half used. */
    UsageCounter(InstantSource clock, int tableCapacity) {
        this.clock = clock;
        this.tableCapacity = tableCapacity;
        this.noEndpoint = registered(NO_ENDPOINT);
    }

    /** This counter as a {@link UsageRecorder} takes it. */
    UsageRecorder recorder() {
        return recorder;
    }

    /** One counter. */
    record Bucket(String keyId, long epochMinute, String endpoint, String outcome) {
    }

    /**
     * What a report carries for one key: the counters' gains, and, for the acknowledgement, the totals that the maps'
     * counters reached and the counts read of the table's entries.
     */
    record KeyReport(String keyId, Instant lastUsedAt, Map<Bucket, Long> gains, List<MapTotal> totals,
                     List<UsageTable.Read> reads) {
    }

    /**
     * The total a counter in a minute's maps reached, acknowledged in that minute's own acknowledgements alone: a
     * minute made again after it was dropped (a decision of it later still, a clock stepped back) starts from nothing,
     * whatever a report of the one dropped brings back. Not the minute itself, which a report resent for an hour would
     * keep, its tables included.
     */
    private record MapTotal(Map<Bucket, Long> acknowledged, Bucket bucket, long total) {
    }

    /** A URI path seen before, with its endpoint. */
    private record Remembered(int hash, byte[] path, Endpoint endpoint) {
    }

    /**
     * A normalised path and its number (from 1), by which, with the key's bits, decisions find their counters in the
     * table. A path that was not remembered has 0, and is counted in the maps.
     */
    private record Endpoint(String path, int id) {
    }

    /** One minute's counters: in the table, and in maps by key, then endpoint, then outcome. */
    private static final class Minute {
        final long epochMinute;
        final UsageTable table;
        /** By key id, then endpoint: the counters the table does not hold. */
        final Map<String, Map<String, long[]>> keys = new ConcurrentHashMap<>();
        /** The totals of those counters that the command side acknowledged. */
        final Map<Bucket, Long> acknowledged = new ConcurrentHashMap<>();
        /** Set {@value #LATE_MILLIS} ms after it is over, before it is dropped: no decision finds it any more. */
        volatile boolean retired;
        /** Set once the decisions that found it before it retired are known to have finished. */
        volatile boolean drained;
        /** Counts in the maps under way on request threads, which retiring waits out. */
        final AtomicInteger counting = new AtomicInteger();
        /** Sends that failed since it retired, of whichever report was out: the reporter resends one until it lands. */
        volatile int failuresWhileRetired;
        /** Reports acknowledged since it retired: the command side takes reports, but they have not caught up. */
        volatile int acknowledgedWhileRetired;

        Minute(long epochMinute, int expected, int tableCapacity) {
            this.epochMinute = epochMinute;
            this.table = new UsageTable(expected, tableCapacity);
        }

        Map<String, long[]> endpointsOf(String keyId) {
            Map<String, long[]> endpoints = keys.get(keyId);
            return endpoints != null ? endpoints : keys.computeIfAbsent(keyId, k -> new ConcurrentHashMap<>());
        }
    }

    /**
     * Slots given to outcome names as they first come, fixed once given; -1 once all are given. Callers mostly pass the
     * same few string instances, so a slot is first looked for by reference, then among the few names by equality.
     */
    private static final class Outcomes {
        private final int capacity;
        /** The names by slot; replaced whole when one is added. */
        private volatile String[] names = new String[0];

        Outcomes(int capacity) {
            this.capacity = capacity;
        }

        int slot(String outcome) {
            String[] known = names;
            for (int slot = 0; slot < known.length; slot++) {
                if (known[slot] == outcome) {
                    return slot;
                }
            }
            int slot = Arrays.asList(known).indexOf(outcome);
            return slot >= 0 ? slot : added(outcome);
        }

        private synchronized int added(String outcome) {
            int slot = Arrays.asList(names).indexOf(outcome);
            if (slot >= 0 || names.length == capacity) {
                return slot;
            }
            String[] grown = Arrays.copyOf(names, names.length + 1);
            grown[names.length] = outcome;
            names = grown;
            return grown.length - 1;
        }

        String name(int slot) {
            String[] known = names;
            return slot < known.length ? known[slot] : OTHER_OUTCOME;
        }
    }

    /**
     * Counts one decision. {@code keyId} null means no key matched; {@code originalUri} is the gateway's original
     * request URI (null when it sent none); {@code outcome} is the decision's ({@code Decision.usageOutcome}) or the
     * refusal, in lower case.
     */
    void record(String keyId, String originalUri, String outcome) {
        long now = clock.millis();
        String id = keyId == null ? UNKNOWN_KEY : keyId;
        PendingDecisions decisions = pending.get();
        Latin1Text text = decisions.text;
        text.readKey(keyId);
        Endpoint endpoint = endpointOf(originalUri, text);
        if (endpoint.id() > 0 && text.isUuid()) {
            int slot = tabledOutcomes.slot(outcome);
            if (slot >= 0) {
                long msb = text.uuidHigh();
                long lsb = text.uuidLow();
                decisions.add(msb, lsb, endpoint, UsageTable.hash(msb, lsb, endpoint.id()), slot, now, folder);
                return;
            }
        }
        Minute minute = entered(now);
        try {
            countInMaps(minute, id, endpoint.path(), outcome, now);
        } finally {
            left(minute);
        }
    }

    /**
     * As {@link #record}, without a buffer of the calling thread's: for threads that come and go (a servlet
     * container's, a virtual thread per request), each of which would otherwise make a buffer, folded away later.
     */
    void recordUnbuffered(String keyId, String originalUri, String outcome) {
        long now = clock.millis();
        // Normalised afresh (normalise takes the origin form, and null as no endpoint), not looked up by the thread's
        // scratch text: threads that come and go have none.
        Endpoint endpoint = numbered(normalise(originalUri));
        Minute minute = entered(now);
        try {
            countInMaps(minute, keyId == null ? UNKNOWN_KEY : keyId, endpoint.path(), outcome, now);
        } finally {
            left(minute);
        }
    }

    /**
     * The minute a decision at {@code now} counts in: its own, or, while that is retired and not yet dropped, the one
     * after the latest retired minute (a decision counted so late is counted when it is counted). A minute dropped is
     * made again for a decision of it, as one never made is: so a clock stepped back (one that had run ahead) counts
     * each decision in its own minute, where it would otherwise count them all in the minute after the latest
     * retired, as far ahead as the step.
     */
    private Minute minuteAt(long now) {
        Minute minute = current;
        // The current minute is never a retired one: retiring takes it from there.
        long own = now / 60_000;
        if (minute != null && minute.epochMinute == own) {
            return minute;
        }
        // Decisions of the minute before, folded after it ended, and of minutes behind the current one (a clock
        // stepped back) find theirs without the lock.
        minute = held(own);
        return minute != null && !minute.retired ? minute : minute(own);
    }

    /** The minute a decision counts in on a request thread, marked as counting there until {@link #left}. */
    private Minute entered(long now) {
        while (true) {
            Minute minute = minuteAt(now);
            minute.counting.incrementAndGet();
            // Retiring sets the flag and then reads the counter; one of the two sees the other.
            if (!minute.retired) {
                return minute;
            }
            minute.counting.decrementAndGet();
        }
    }

    private static void left(Minute minute) {
        minute.counting.decrementAndGet();
    }

    private Minute held(long epochMinute) {
        for (Minute minute : minutes) {
            if (minute.epochMinute == epochMinute) {
                return minute;
            }
        }
        return null;
    }

    /** Folds a batch of decisions of keys in a UUID's form at numbered endpoints into the tables. */
    private final class TableFolder implements PendingDecisions.Folder {

        @Override
        public long touch(int[] hashes) {
            // The latest minute's table: a decision of another minute misses, which costs only a load.
            Minute minute = current;
            return minute == null ? 0 : minute.table.touch(hashes);
        }

        @Override
        public void count(long msb, long lsb, Object counted, int hash, int outcome, long time) {
            Minute minute = minuteAt(time);
            Endpoint endpoint = (Endpoint) counted;
            int millis = (int) (time - minute.epochMinute * 60_000);
            if (!minute.table.count(hash, msb, lsb, endpoint.id(), outcome, millis)) {
                String keyId = new UUID(msb, lsb).toString();
                int added = addedToTable(minute, keyId, endpoint, msb, lsb);
                if (added != UsageTable.IN_TABLE
                        || !minute.table.count(hash, msb, lsb, endpoint.id(), outcome, millis)) {
                    countInMaps(minute, keyId, added == UsageTable.CAPPED ? OTHER_ENDPOINT : endpoint.path(),
                            tabledOutcomes.name(outcome), time);
                }
            }
        }
    }

    /** Counts a decision in the minute's maps, with the time of the key's last use there. */
    private void countInMaps(Minute minute, String id, String endpoint, String outcome, long now) {
        long[] counts = counters(minute, id, endpoint);
        // Before the count, so that a report that sees the count sees this time or a later one; only a later time
        // replaces the one held.
        long last = (long) SLOT.getAcquire(counts, LAST_USED);
        while (now > last && !SLOT.weakCompareAndSetRelease(counts, LAST_USED, last, now)) {
            last = (long) SLOT.getAcquire(counts, LAST_USED);
        }
        int slot = outcomes.slot(outcome);
        SLOT.getAndAdd(counts, FIRST_OUTCOME + (slot < 0 ? OUTCOME_SLOTS - 1 : slot), 1L);
    }

    /**
     * Adds the counters of a decision the table did not find, unless they are in the maps already: a pair the table
     * had no room for stays there (and the table's lock is not taken for it again), and a key with an
     * {@value #OTHER_ENDPOINT} endpoint there has its {@value #MAX_ENDPOINTS} endpoints. The table keeps the cap for
     * the endpoints it holds.
     */
    private static int addedToTable(Minute minute, String keyId, Endpoint endpoint, long msb, long lsb) {
        Map<String, long[]> inMaps = minute.keys.get(keyId);
        if (inMaps != null && inMaps.containsKey(endpoint.path())) {
            return UsageTable.NO_ROOM;
        }
        if (inMaps != null && inMaps.containsKey(OTHER_ENDPOINT)) {
            return UsageTable.CAPPED;
        }
        return minute.table.add(msb, lsb, endpoint.id(), MAX_ENDPOINTS - (inMaps == null ? 0 : inMaps.size()));
    }

    /**
     * The counters of a key at an endpoint in the maps, made on the first decision of the minute that needs them, or
     * those of {@value #OTHER_ENDPOINT} once the key has {@value #MAX_ENDPOINTS}.
     */
    private static long[] counters(Minute minute, String keyId, String endpoint) {
        Map<String, long[]> endpoints = minute.endpointsOf(keyId);
        long[] counts = endpoints.get(endpoint);
        if (counts != null) {
            return counts;
        }
        // A racing add may pass the cap by a few; what matters is that it stays bounded.
        return endpoints.computeIfAbsent(endpoints.size() >= MAX_ENDPOINTS ? OTHER_ENDPOINT : endpoint,
                path -> new long[FIRST_OUTCOME + OUTCOME_SLOTS]);
    }

    /**
     * The minute's counters, made ahead or when its first decision comes (a late decision may find an older
     * minute's).
     */
    private synchronized Minute minute(long wanted) {
        // Retired since the caller looked: read again under the lock that retires, and that raises retiredThrough to
        // a retired minute before it is marked so.
        Minute own = held(wanted);
        if (own != null && !own.retired) {
            return own;
        }
        long epochMinute = own == null ? wanted : retiredThrough + 1;
        Minute held = held(epochMinute);
        if (held != null) {
            return held;
        }
        Minute prepared = next;
        Minute latest = current;
        // A minute before the latest (a decision that read the clock just before another thread began the next
        // minute) needs little room.
        Minute made = prepared != null && prepared.epochMinute == epochMinute ? prepared
                : new Minute(epochMinute, latest == null || epochMinute > latest.epochMinute ? expected() : 0,
                        tableCapacity);
        if (made == prepared) {
            next = null;
        }
        minutes.add(made);
        if (latest == null || epochMinute > latest.epochMinute) {
            current = made;
        }
        return made;
    }

    /**
     * As many entries as the largest table of the minutes held, or of the one dropped last, has: what the next minute
     * most likely needs.
     */
    private int expected() {
        return Math.max(lastDropped, minutes.stream().mapToInt(minute -> minute.table.size()).max().orElse(0));
    }

    /**
     * Folds every thread's pending decisions, drops the minutes that are over and reported, and makes the next
     * minute's counters when it is time ({@link #prepareNext}); for the reporting thread, at every flush. This,
     * {@link #report} and {@link #acknowledge} are called by one thread at a time (the reporter's lock): the tables'
     * acknowledged counts rely on it.
     */
    void maintain() {
        foldPending();
        dropReported(clock.millis());
        prepareNext();
    }

    /**
     * In a minute's last {@value #PREPARE_AHEAD_MILLIS} ms, makes the next minute's counters, so that no request thread
     * waits while a large table is zeroed; made any earlier, the table would sit empty beside the current one for most
     * of the minute. Safe beside {@link #maintain}: the reporter also calls it on a timer of its own, so that a flush
     * waiting on the command side does not leave the next minute to the first request that reaches it.
     */
    void prepareNext() {
        long now = clock.millis();
        long following = now / 60_000 + 1;
        takeMadeAheadBefore(following);
        if (now % 60_000 < 60_000 - PREPARE_AHEAD_MILLIS) {
            return;
        }
        // One maker at a time, so a large table is never made twice; zeroed outside the counter's lock, which request
        // threads take for a minute not yet made.
        synchronized (makingAhead) {
            if (next != null || held(following) != null) {
                return;
            }
            Minute made = new Minute(following, expected(), tableCapacity);
            synchronized (this) {
                if (next == null && held(following) == null && following > retiredThrough) {
                    next = made;
                }
            }
        }
    }

    /** The minute made ahead, once its time has come: taken if it is the current one, else dropped. */
    private synchronized void takeMadeAheadBefore(long following) {
        Minute prepared = next;
        if (prepared != null && prepared.epochMinute < following) {
            if (prepared.epochMinute == following - 1) {
                // Made ahead and not yet reached by a decision: taken, not thrown away.
                minute(prepared.epochMinute);
            }
            next = null;
        }
    }

    /**
     * The target as a path and query: a proxy's absolute form ({@code http://host/authorize}), which RFC 9112 asks
     * servers to accept and Tomcat maps, loses its scheme and authority. Here, not in the gateway listener's class,
     * which needs Netty: an embedded service counts usage without it.
     */
    static String originForm(String target) {
        int authority = target.regionMatches(true, 0, "http://", 0, 7) ? 4
                : target.regionMatches(true, 0, "https://", 0, 8) ? 5 : -1;
        if (authority < 0) {
            return target;
        }
        for (int i = authority + 3; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c == '/') {
                return target.substring(i);
            }
            if (c == '?') {
                return "/" + target.substring(i);
            }
        }
        return "/";
    }

    private Endpoint endpointOf(String uri, Latin1Text text) {
        if (uri == null) {
            return noEndpoint;
        }
        // A proxy's absolute form (https://host/orders/1) counts under its path; the authority may hold a credential.
        String originalUri = originForm(uri);
        if (!text.readPath(originalUri)) {
            return numbered(normalise(originalUri));
        }
        // Remembered by path alone: query strings vary without end and would fill the memory with every one.
        int hash = text.pathHash();
        Remembered known = normalised.find(hash, text, UsageCounter::remembers);
        if (known != null) {
            return known.endpoint();
        }
        Endpoint endpoint = numbered(normalise(originalUri));
        if (endpoint.id() > 0 && normalised.size() < MAX_REMEMBERED_URIS) {
            byte[] path = text.path();
            normalised.addIfAbsent(hash, text, UsageCounter::remembers, () -> new Remembered(hash, path, endpoint));
        }
        return endpoint;
    }

    /** The endpoint of a normalised path: numbered unless {@value #MAX_REMEMBERED_URIS} are already. */
    private Endpoint numbered(String path) {
        // Endpoints are capped too: URIs made to collide are not remembered, but would still add endpoints.
        if (endpoints.size() >= MAX_REMEMBERED_URIS) {
            Endpoint numbered = endpoints.get(path);
            return numbered != null ? numbered : new Endpoint(path, 0);
        }
        // One number per endpoint, so /orders/1 and /orders/2 meet as the same /orders/{id}, remembered or not.
        return registered(path);
    }

    private static boolean remembers(Remembered remembered, Latin1Text text, int hash) {
        return remembered.hash() == hash && text.pathIs(remembered.path());
    }

    private Endpoint registered(String path) {
        return endpoints.computeIfAbsent(path, p -> {
            Endpoint endpoint = new Endpoint(p, endpointNumbers.incrementAndGet());
            paths.put(endpoint.id(), p);
            return endpoint;
        });
    }

    /** 32 well-mixed bits of 128 (MurmurHash3's finalizer), so that linear probing meets short runs. */
    static int spread(long high, long low) {
        long h = high * 0x9e3779b97f4a7c15L ^ low;
        h = (h ^ h >>> 33) * 0xff51afd7ed558ccdL;
        h = (h ^ h >>> 33) * 0xc4ceb9fe1a85ec53L;
        return (int) (h ^ h >>> 33);
    }

    /**
     * Whether a path segment (not empty) is data rather than a route's word, to be counted as {@code {id}}: it would
     * otherwise keep a user's identifiers in events that are never erased, and make an endpoint per value. All
     * digits; at least 8 characters with a digit, or hexadecimal (a hash, {@code deadbeef}); an address, anything
     * percent-encoded, anything past ASCII (a name, encoded or not: {@code @}, {@code %}, {@code Müller}), or a word
     * in it that begins as a key or an operator token does ({@code lk_live_…}, {@code token:lkop_…}). Ids in
     * letters alone cannot be told from words ({@code OAuthToken}, {@code GetCustomerByID}) and are kept.
     */
    private static boolean identifies(int length, boolean digit, boolean allDigits, boolean allHex, boolean data) {
        return allDigits || length >= 8 && (digit || allHex) || data;
    }

    /** Whether {@code lk_} or {@code lkop_} and a letter or digit begin at {@code at}, in any case. */
    private static boolean beginsCredential(String uri, int at) {
        int body = uri.regionMatches(true, at, "lk_", 0, 3) ? at + 3
                : uri.regionMatches(true, at, "lkop_", 0, 5) ? at + 5 : -1;
        if (body < 0 || body >= uri.length()) {
            return false;
        }
        return asciiLetterOrDigit(uri.charAt(body));
    }

    private static boolean asciiLetterOrDigit(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
    }

    /**
     * The path of a request URI without its query, fragment or trailing slash, with segments that hold data rather
     * than a route's words as {@code {id}} (see {@link #identifies}), at most {@value #MAX_ENDPOINT_LENGTH} characters
     * and printable only; {@value #NO_ENDPOINT} for none. Dot segments are resolved and a segment's {@code ;}
     * parameters left out, as a gateway routes the path and a servlet container serves it: {@code /public/../orders}
     * counts as {@code /orders}, and {@code /orders;jsessionid=…} keeps no session in the usage events.
     */
    static String normalise(String target) {
        String uri = target == null ? null : originForm(target);
        if (uri == null || uri.isEmpty() || uri.charAt(0) != '/') {
            return NO_ENDPOINT;
        }
        StringBuilder path = new StringBuilder(Math.min(uri.length(), MAX_ENDPOINT_LENGTH));
        int start = 1;
        while (start <= uri.length()) {
            int end = start;
            boolean digit = false;
            boolean allDigits = true;
            boolean allHex = true;
            boolean data = false;
            boolean afterWordCharacter = false;
            int parameters = -1;
            while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?' && uri.charAt(end) != '#') {
                char c = uri.charAt(end);
                if (parameters >= 0 || c == ';') {
                    parameters = parameters >= 0 ? parameters : end;
                    end++;
                    continue;
                }
                // A word begun as a key or operator token is (lk_, lkop_), cut short or not: no part of a secret stays.
                data |= (c == 'l' || c == 'L') && !afterWordCharacter && beginsCredential(uri, end);
                afterWordCharacter = asciiLetterOrDigit(c);
                // The command side refuses a report with any ISO control character in an endpoint. HTTP decoders turn
                // each byte of a raw UTF-8 path into one character, some of them in U+0080–U+009F: those segments are
                // folded (past ASCII), so that only ASCII's control characters are left to refuse.
                if (c < 0x80 && Character.isISOControl(c)) {
                    return NO_ENDPOINT;
                }
                boolean isDigit = c >= '0' && c <= '9';
                digit |= isDigit;
                allDigits &= isDigit;
                allHex &= isDigit || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
                data |= c == '@' || c == '%' || c > '~';
                end++;
            }
            int length = (parameters >= 0 ? parameters : end) - start;
            if (length == 2 && uri.startsWith("..", start)) {
                path.setLength(Math.max(path.lastIndexOf("/"), 0));
            } else if (length > 0 && !(length == 1 && uri.charAt(start) == '.')) {
                path.append('/');
                if (identifies(length, digit, allDigits, allHex, data)) {
                    path.append("{id}");
                } else {
                    path.append(uri, start, start + length);
                }
            }
            if (end >= uri.length() || uri.charAt(end) != '/' || path.length() > MAX_ENDPOINT_LENGTH) {
                break;
            }
            start = end + 1;
        }
        if (path.isEmpty()) {
            return "/";
        }
        return path.length() > MAX_ENDPOINT_LENGTH ? path.substring(0, MAX_ENDPOINT_LENGTH) : path.toString();
    }

    /**
     * The gains since the last acknowledgement, for at most {@code maxKeys} keys and {@link #MAX_BUCKETS_PER_KEY}
     * buckets a key; empty when nothing was counted.
     */
    List<KeyReport> report(int maxKeys) {
        return report(maxKeys, MAX_BUCKETS_PER_KEY);
    }

    /**
     * As {@link #report(int)}, with at most {@code maxBuckets} buckets a key, minute by minute as they are held; the
     * rest wait for a later report. Table entries that did not move since the last acknowledgement are passed over without
     * building anything for them.
     */
    List<KeyReport> report(int maxKeys, int maxBuckets) {
        foldPending();
        Map<String, KeyGains> byKey = new LinkedHashMap<>();
        for (Minute minute : minutes) {
            Map<Bucket, Long> totals = new LinkedHashMap<>();
            Map<String, Long> lastUsed = new HashMap<>();
            collectMaps(minute, totals, lastUsed);
            totals.forEach((bucket, total) -> {
                long acknowledgedTotal = minute.acknowledged.getOrDefault(bucket, 0L);
                KeyGains key = total > acknowledgedTotal ? gainsOf(byKey, bucket.keyId(), maxKeys) : null;
                if (key != null && key.gains.size() < maxBuckets) {
                    key.gains.merge(bucket, total - acknowledgedTotal, Long::sum);
                    key.totals.add(new MapTotal(minute.acknowledged, bucket, total));
                    key.lastUsed = Math.max(key.lastUsed, lastUsed.get(bucket.keyId()));
                }
            });
            minute.table.forEachUnacknowledged((msb, lsb, endpoint, millis, gains, read) -> {
                String keyId = new UUID(msb, lsb).toString();
                KeyGains key = gainsOf(byKey, keyId, maxKeys);
                if (key == null || (!key.gains.isEmpty() && key.gains.size() + moved(gains) > maxBuckets)) {
                    // An entry is acknowledged whole, so it goes whole into this report or the next.
                    return;
                }
                for (int slot = 0; slot < UsageTable.OUTCOMES; slot++) {
                    if (gains[slot] != 0) {
                        key.gains.merge(new Bucket(keyId, minute.epochMinute, paths.get(endpoint),
                                tabledOutcomes.name(slot)), gains[slot], Long::sum);
                    }
                }
                key.reads.add(read);
                key.lastUsed = Math.max(key.lastUsed, minute.epochMinute * 60_000 + millis);
            });
        }
        List<KeyReport> report = new ArrayList<>();
        byKey.values().forEach(key -> report.add(new KeyReport(key.keyId,
                key.lastUsed > 0 ? Instant.ofEpochMilli(key.lastUsed) : null, key.gains, key.totals, key.reads)));
        return report;
    }

    /** A key's part of a report as it is taken. */
    private static final class KeyGains {
        final String keyId;
        final Map<Bucket, Long> gains = new LinkedHashMap<>();
        final List<MapTotal> totals = new ArrayList<>();
        final List<UsageTable.Read> reads = new ArrayList<>();
        long lastUsed;

        KeyGains(String keyId) {
            this.keyId = keyId;
        }
    }

    /** The key's part of the report, made if the report has room for another key; null when it has none. */
    private static KeyGains gainsOf(Map<String, KeyGains> byKey, String keyId, int maxKeys) {
        KeyGains key = byKey.get(keyId);
        if (key == null && byKey.size() < maxKeys) {
            key = new KeyGains(keyId);
            byKey.put(keyId, key);
        }
        return key;
    }

    private static int moved(long[] gains) {
        int moved = 0;
        for (long gain : gains) {
            moved += gain != 0 ? 1 : 0;
        }
        return moved;
    }

    /**
     * Adds the totals of a minute's counters in the maps to {@code totals} by bucket, and the latest decision to
     * {@code lastUsed} by key, read after the counts: a decision sets the time before it counts.
     */
    private void collectMaps(Minute minute, Map<Bucket, Long> totals, Map<String, Long> lastUsed) {
        minute.keys.forEach((keyId, endpoints) -> endpoints.forEach((endpoint, counts) -> {
            for (int slot = 0; slot < OUTCOME_SLOTS; slot++) {
                long total = (long) SLOT.getVolatile(counts, FIRST_OUTCOME + slot);
                if (total != 0) {
                    totals.merge(new Bucket(keyId, minute.epochMinute, endpoint, outcomes.name(slot)), total,
                            Long::sum);
                }
            }
            lastUsed.merge(keyId, (long) SLOT.getVolatile(counts, LAST_USED), Math::max);
        }));
    }

    /**
     * A report could not be sent, or was not acknowledged: counts against the retired minutes, which go unreported
     * once {@value #MAX_HELD_MINUTES} minutes old after two failures in a row.
     */
    void failed() {
        for (Minute minute : minutes) {
            if (minute.retired) {
                minute.failuresWhileRetired++;
            }
        }
        // As maintain does: decisions waiting in batches count in their minute before it retires.
        foldPending();
        dropReported(clock.millis());
    }

    /** Marks a report as recorded, and drops the minutes that are over and now reported (or too old). */
    void acknowledge(List<KeyReport> report) {
        // The command side takes reports again: only failures since count towards dropping a minute unreported.
        for (Minute minute : minutes) {
            minute.failuresWhileRetired = 0;
            if (minute.retired) {
                minute.acknowledgedWhileRetired++;
            }
        }
        settle(report);
    }

    /** A report given up: its counts are never sent again, as if it had been recorded. */
    void abandon(List<KeyReport> report) {
        settle(report);
    }

    /** The time on this counter's clock, which the reporter measures a report's resending by. */
    long millis() {
        return clock.millis();
    }

    private void settle(List<KeyReport> report) {
        report.forEach(key -> {
            // A minute dropped unreported while this report was out takes them with it.
            key.totals().forEach(total -> total.acknowledged().merge(total.bucket(), total.total(), Math::max));
            key.reads().forEach(UsageTable.Read::acknowledge);
        });
        // A decision still pending keeps its minute: it is not reported yet.
        foldPending();
        dropReported(clock.millis());
    }

    /**
     * Retires the minutes that have been over for {@value #LATE_MILLIS} ms, so that no decision finds them any more,
     * waits out the decisions that found them before, and drops those that are reported, that are
     * {@value #MAX_HELD_MINUTES} minutes old with reports failing, or twice as old with reports succeeding.
     */
    private void dropReported(long now) {
        for (Minute minute : minutes) {
            if (!minute.retired && (minute.epochMinute + 1) * 60_000 + LATE_MILLIS <= now) {
                retire(minute);
            }
            if (minute.retired && !minute.drained) {
                // A wait cut short (an error while folding) is taken up again before the minute may go.
                drain(minute);
            }
            // Old by the clock and by failed reports, or twice as old while reports succeed without catching up: a
            // clock that jumps ahead drops nothing before a report is tried.
            boolean tooOld = (minute.epochMinute + MAX_HELD_MINUTES) * 60_000 <= now
                    && minute.failuresWhileRetired >= 2
                    || (minute.epochMinute + 2L * MAX_HELD_MINUTES) * 60_000 <= now
                    && minute.acknowledgedWhileRetired >= 1;
            boolean reported = minute.drained && fullyReported(minute);
            if (minute.drained && (reported || tooOld)) {
                if (!reported) {
                    droppedUnreported.incrementAndGet();
                    log.error("Usage of minute {} was not acknowledged by the command side in time ({} minutes while "
                            + "reports fail, twice that while they fall behind) and is dropped; a report still being "
                            + "resent may deliver part of it", Instant.ofEpochSecond(minute.epochMinute * 60),
                            MAX_HELD_MINUTES);
                }
                lastDropped = minute.table.size();
                minutes.remove(minute);
            }
        }
    }

    private void retire(Minute minute) {
        synchronized (this) {
            retiredThrough = Math.max(retiredThrough, minute.epochMinute);
            minute.retired = true;
            // After minutes without decisions the retired minute may be the current one: the next decision makes its
            // own, since none may count into a retired one.
            if (current == minute) {
                current = null;
            }
        }
    }

    /** Waits out the decisions that found a retired minute before it retired. */
    private void drain(Minute minute) {
        // A batch's fold that found the minute has finished once every batch was folded after the flag was set.
        foldPending();
        while (minute.counting.get() != 0) {
            Thread.yield();
        }
        minute.drained = true;
    }

    private boolean fullyReported(Minute minute) {
        if (!minute.table.acknowledged()) {
            return false;
        }
        Map<Bucket, Long> totals = new HashMap<>();
        collectMaps(minute, totals, new HashMap<>());
        return totals.entrySet().stream()
                .allMatch(total -> minute.acknowledged.getOrDefault(total.getKey(), 0L).equals(total.getValue()));
    }

    /** Folds every thread's pending decisions into the counters, and forgets the threads that are gone. */
    private void foldPending() {
        for (PendingDecisions decisions : pendings) {
            decisions.fold(folder);
            if (decisions.abandoned()) {
                pendings.remove(decisions);
            }
        }
    }

    /** The minute whose counters were made ahead and not yet taken, or -1. */
    long madeAhead() {
        Minute prepared = next;
        return prepared == null ? -1 : prepared.epochMinute;
    }

    /** Key and endpoint pairs that decisions find in a minute's table rather than its maps. */
    int tabledCounters() {
        foldPending();
        return minutes.stream().mapToInt(minute -> minute.table.size()).sum();
    }

    /** Minutes dropped before the command side acknowledged all their counts. */
    long droppedUnreported() {
        return droppedUnreported.get();
    }

    /**
     * Counters held, reported or not, counted without building them and without folding pending decisions: a counter
     * that the table and the maps, or two of the table's arrays, hold parts of counts once for each.
     */
    int size() {
        int size = 0;
        for (Minute minute : minutes) {
            for (Map<String, long[]> endpoints : minute.keys.values()) {
                for (long[] held : endpoints.values()) {
                    for (int slot = 0; slot < held.length - FIRST_OUTCOME; slot++) {
                        size += (long) SLOT.getVolatile(held, FIRST_OUTCOME + slot) == 0 ? 0 : 1;
                    }
                }
            }
            size += minute.table.counters();
        }
        return size;
    }
}
