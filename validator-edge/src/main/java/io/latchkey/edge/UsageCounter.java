package io.latchkey.edge;

import io.latchkey.api.ApiKeyUsageRecordedEvent;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts every decision by key, minute, endpoint and outcome, on the request thread and without waiting: a probe of
 * the current minute's index and an atomic increment. Counters are never reset; a report carries what each
 * counter gained since the last acknowledged report, so nothing counted between taking a report and its
 * acknowledgement is lost, and a report that failed is sent again unchanged. A minute's counters are dropped as a
 * whole once it is {@value #QUIET_AFTER_MINUTES} minutes old and fully reported: no decision reaches it any more.
 * Decisions about keys that matched none count under {@value #UNKNOWN_KEY}, never under anything derived from the
 * secret. Each key keeps at most {@value #MAX_ENDPOINTS} distinct endpoints a minute; further ones count as
 * {@value #OTHER_ENDPOINT}, so clients cannot make the counters grow without bound.
 *
 * <p>Key ids and request URIs arrive as new strings on every decision, whose {@code hashCode} walks every character
 * through a chain of multiplications, and each hop through a map is a cache miss once many keys are counted. So a
 * decision finds its counters in one {@link ProbeTable} probe by the key id's 128 bits (a UUID in canonical form, as
 * every key Latchkey makes) and its endpoint's number, and the counters hold those in their first slots; a URI is
 * remembered in another probe table under a hash that takes four characters a step.
 */
final class UsageCounter {

    static final String UNKNOWN_KEY = ApiKeyUsageRecordedEvent.UNKNOWN_KEY;
    static final String NO_ENDPOINT = "*";
    static final String OTHER_ENDPOINT = "(other)";
    static final int MAX_ENDPOINTS = 32;
    static final int MAX_ENDPOINT_LENGTH = 128;
    private static final long QUIET_AFTER_MINUTES = 2;
    /** Raw URIs remembered with their normalised form; beyond this many, they are normalised every time. */
    private static final int MAX_REMEMBERED_URIS = 10_000;
    /** Outcomes are the decision statuses and the refusals before a decision: fewer than this. */
    private static final int OUTCOME_SLOTS = 24;
    /**
     * The slots of a key's counters at one endpoint: the key's bits (0 unless its id is a UUID in canonical form), the
     * endpoint's number (0 for none), the time of the last decision, then one slot per outcome.
     */
    private static final int MSB = 0;
    private static final int LSB = 1;
    private static final int ENDPOINT = 2;
    private static final int LAST_USED = 3;
    private static final int FIRST_OUTCOME = 4;
    /** Atomic access to counter arrays: a plain array is one memory load less than an AtomicLongArray. */
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    static final String OTHER_OUTCOME = "other";
    private static final int UUID_LENGTH = 36;
    /** The value of each lower-case hexadecimal digit by character, -1 for every other character. */
    private static final byte[] HEX = new byte[128];

    static {
        Arrays.fill(HEX, (byte) -1);
        for (int digit = 0; digit < 16; digit++) {
            HEX[Character.forDigit(digit, 16)] = (byte) digit;
        }
    }

    private final InstantSource clock;
    private final List<Minute> minutes = new CopyOnWriteArrayList<>();
    private final Map<Bucket, Long> acknowledged = new ConcurrentHashMap<>();
    private final ProbeTable<Remembered> normalised = new ProbeTable<>(Remembered::hash);
    /** One {@link Endpoint} per remembered path, numbered from 1. */
    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
    private final AtomicInteger endpointNumbers = new AtomicInteger();
    private final Endpoint noEndpoint;
    /** Outcome names by slot, and slots by name; a slot once given never changes. */
    private final List<String> outcomes = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> outcomeSlots = new ConcurrentHashMap<>();
    private volatile Minute current;

    UsageCounter(InstantSource clock) {
        this.clock = clock;
        this.noEndpoint = registered(NO_ENDPOINT);
    }

    /** One counter. */
    record Bucket(String keyId, long epochMinute, String endpoint, String outcome) {
    }

    /** What a report carries for one key: the counters' gains, and the totals they reached (for the ack). */
    record KeyReport(String keyId, Instant lastUsedAt, Map<Bucket, Long> gains, Map<Bucket, Long> totals) {
    }

    /** A raw URI seen before, with its endpoint. */
    private record Remembered(int hash, String uri, Endpoint endpoint) {
    }

    /**
     * A normalised path and its number (from 1), by which, with the key's bits, decisions find their counters. A path
     * that was not remembered has 0, as have the counters that no numbered endpoint owns.
     */
    private record Endpoint(String path, int id) {
    }

    /**
     * One minute's counters: by key, then endpoint, then outcome. The counters of a key in a UUID's canonical form
     * (every key Latchkey makes) at a numbered endpoint are also indexed by the key's bits and the endpoint's number,
     * which is how decisions find them; other keys, {@value #UNKNOWN_KEY} and unnumbered endpoints go through the maps.
     */
    private static final class Minute {
        final long epochMinute;
        /** By key id, then endpoint. */
        final Map<String, Map<String, long[]>> keys = new ConcurrentHashMap<>();
        /** Counters by their first three slots: the key's bits and the endpoint's number. */
        final ProbeTable<long[]> index = new ProbeTable<>(counts -> slot(counts[MSB], counts[LSB], counts[ENDPOINT]));

        Minute(long epochMinute) {
            this.epochMinute = epochMinute;
        }

        /** The indexed counters of the key with these bits at this endpoint, or null. */
        long[] indexed(long msb, long lsb, Endpoint endpoint) {
            return index.find(slot(msb, lsb, endpoint.id()), endpoint, msb, lsb, Minute::counting);
        }

        private static boolean counting(long[] counts, Endpoint endpoint, long msb, long lsb) {
            return counts[MSB] == msb && counts[LSB] == lsb && counts[ENDPOINT] == endpoint.id();
        }

        private static int slot(long msb, long lsb, long endpoint) {
            return spread(msb ^ endpoint * 0x9e3779b97f4a7c15L, lsb);
        }
    }

    /**
     * Counts one decision. {@code keyId} null means no key matched; {@code originalUri} is the gateway's original
     * request URI (null when it sent none); {@code outcome} is the decision's status or the refusal, in lower case.
     */
    void record(String keyId, String originalUri, String outcome) {
        long now = clock.millis();
        Minute minute = current;
        if (minute == null || minute.epochMinute != now / 60_000) {
            minute = minute(now / 60_000);
        }
        String id = keyId == null ? UNKNOWN_KEY : keyId;
        Endpoint endpoint = endpointOf(originalUri);
        long[] counts = null;
        long msb = 0;
        long lsb = 0;
        boolean uuid = false;
        if (id.length() == UUID_LENGTH && id.charAt(8) == '-' && id.charAt(13) == '-' && id.charAt(18) == '-'
                && id.charAt(23) == '-') {
            // Five independent groups, each negative when it holds anything but a lower-case hex digit.
            long a = hex(id, 0, 8);
            long b = hex(id, 9, 13);
            long c = hex(id, 14, 18);
            long d = hex(id, 19, 23);
            long e = hex(id, 24, 36);
            msb = a << 32 | b << 16 | c;
            lsb = d << 48 | e;
            uuid = (a | b | c | d | e) >= 0;
            if (uuid && endpoint.id() > 0) {
                counts = minute.indexed(msb, lsb, endpoint);
            }
        }
        if (counts == null) {
            counts = counters(minute, id, endpoint, uuid, msb, lsb);
        }
        // Before the count, so that a report that sees the count sees this time or a later one. Without a lock: a
        // racing older time may win by a few milliseconds, never by more.
        if (now > (long) SLOT.getOpaque(counts, LAST_USED)) {
            SLOT.setRelease(counts, LAST_USED, now);
        }
        SLOT.getAndAdd(counts, FIRST_OUTCOME + outcomeSlot(outcome), 1L);
    }

    /** The value of the hex digits from {@code from} to {@code to} (at most 15); negative when one is not a digit. */
    private static long hex(String value, int from, int to) {
        long bits = 0;
        for (int i = from; i < to; i++) {
            char c = value.charAt(i);
            bits = bits << 4 | (c < HEX.length ? HEX[c] : -1);
        }
        return bits;
    }

    /**
     * The counters of a key at an endpoint, made on the first decision of the minute that needs them, or those of
     * {@value #OTHER_ENDPOINT} once the key has {@value #MAX_ENDPOINTS}.
     */
    private static long[] counters(Minute minute, String keyId, Endpoint endpoint, boolean uuid, long msb,
                                   long lsb) {
        Map<String, long[]> endpoints = minute.keys.get(keyId);
        if (endpoints == null) {
            endpoints = minute.keys.computeIfAbsent(keyId, k -> new ConcurrentHashMap<>());
        }
        long[] counts = endpoints.get(endpoint.path());
        if (counts != null) {
            return counts;
        }
        // A racing add may pass the cap by a few; what matters is that it stays bounded.
        if (endpoints.size() >= MAX_ENDPOINTS) {
            return endpoints.computeIfAbsent(OTHER_ENDPOINT, other -> new long[FIRST_OUTCOME + OUTCOME_SLOTS]);
        }
        boolean[] made = {false};
        counts = endpoints.computeIfAbsent(endpoint.path(), path -> {
            made[0] = true;
            long[] fresh = new long[FIRST_OUTCOME + OUTCOME_SLOTS];
            if (uuid) {
                fresh[MSB] = msb;
                fresh[LSB] = lsb;
            }
            fresh[ENDPOINT] = endpoint.id();
            return fresh;
        });
        if (made[0] && uuid && endpoint.id() > 0) {
            long[] indexed = counts;
            minute.index.addIfAbsent(Minute.slot(msb, lsb, endpoint.id()), endpoint, msb, lsb, Minute::counting,
                    () -> indexed);
        }
        return counts;
    }

    /** The slot of an outcome; outcomes are few and fixed, any beyond the slots count as {@value #OTHER_OUTCOME}. */
    private int outcomeSlot(String outcome) {
        Integer slot = outcomeSlots.get(outcome);
        if (slot != null) {
            return slot;
        }
        synchronized (outcomes) {
            slot = outcomeSlots.get(outcome);
            if (slot == null) {
                slot = outcomes.size() < OUTCOME_SLOTS - 1 ? outcomes.size() : OUTCOME_SLOTS - 1;
                if (slot < OUTCOME_SLOTS - 1) {
                    outcomes.add(outcome);
                    outcomeSlots.put(outcome, slot);
                }
            }
            return slot;
        }
    }

    private String outcomeOf(int slot) {
        return slot < outcomes.size() ? outcomes.get(slot) : OTHER_OUTCOME;
    }

    /** The minute's counters, made when its first decision comes (a late decision may find an older minute's). */
    private synchronized Minute minute(long epochMinute) {
        for (Minute minute : minutes) {
            if (minute.epochMinute == epochMinute) {
                return minute;
            }
        }
        Minute made = new Minute(epochMinute);
        minutes.add(made);
        if (current == null || epochMinute > current.epochMinute) {
            current = made;
        }
        return made;
    }

    private Endpoint endpointOf(String originalUri) {
        if (originalUri == null) {
            return noEndpoint;
        }
        int hash = hash(originalUri);
        Remembered known = normalised.find(hash, originalUri, hash, 0, UsageCounter::remembers);
        if (known != null) {
            return known.endpoint();
        }
        String path = normalise(originalUri);
        if (normalised.size() >= MAX_REMEMBERED_URIS) {
            Endpoint numbered = endpoints.get(path);
            return numbered != null ? numbered : new Endpoint(path, 0);
        }
        // One number per endpoint, so /orders/1 and /orders/2 meet as the same /orders/{id}.
        Endpoint endpoint = registered(path);
        normalised.addIfAbsent(hash, originalUri, hash, 0, UsageCounter::remembers,
                () -> new Remembered(hash, originalUri, endpoint));
        return endpoint;
    }

    private static boolean remembers(Remembered remembered, String uri, long hash, long unused) {
        return remembered.hash() == hash && remembered.uri().equals(uri);
    }

    private Endpoint registered(String path) {
        return endpoints.computeIfAbsent(path, p -> new Endpoint(p, endpointNumbers.incrementAndGet()));
    }

    /** A string's hash in four independent lanes, so that it costs about a step per four characters. */
    private static int hash(String value) {
        int a = 0;
        int b = 0;
        int c = 0;
        int d = value.length();
        int i = 0;
        for (; i + 3 < value.length(); i += 4) {
            a = 31 * a + value.charAt(i);
            b = 31 * b + value.charAt(i + 1);
            c = 31 * c + value.charAt(i + 2);
            d = 31 * d + value.charAt(i + 3);
        }
        for (; i < value.length(); i++) {
            a = 31 * a + value.charAt(i);
        }
        return spread((long) a << 32 ^ b, (long) c << 32 ^ d);
    }

    /** 32 well-mixed bits of 128 (MurmurHash3's finalizer), so that linear probing meets short runs. */
    private static int spread(long high, long low) {
        long h = high * 0x9e3779b97f4a7c15L ^ low;
        h = (h ^ h >>> 33) * 0xff51afd7ed558ccdL;
        h = (h ^ h >>> 33) * 0xc4ceb9fe1a85ec53L;
        return (int) (h ^ h >>> 33);
    }

    /**
     * The path of a request URI without its query, fragment or trailing slash, with identifier-like segments
     * (containing a digit and at least 8 characters, or all digits) as {@code {id}}, at most
     * {@value #MAX_ENDPOINT_LENGTH} characters and printable only; {@value #NO_ENDPOINT} for none.
     */
    static String normalise(String uri) {
        if (uri == null || uri.isEmpty() || uri.charAt(0) != '/') {
            return NO_ENDPOINT;
        }
        StringBuilder path = new StringBuilder(Math.min(uri.length(), MAX_ENDPOINT_LENGTH));
        int start = 1;
        while (start <= uri.length()) {
            int end = start;
            boolean digit = false;
            boolean allDigits = true;
            while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?' && uri.charAt(end) != '#') {
                char c = uri.charAt(end);
                if (c < 0x20 || c == 0x7f) {
                    return NO_ENDPOINT;
                }
                boolean isDigit = c >= '0' && c <= '9';
                digit |= isDigit;
                allDigits &= isDigit;
                end++;
            }
            int length = end - start;
            if (length > 0) {
                path.append('/');
                if (digit && (allDigits || length >= 8)) {
                    path.append("{id}");
                } else {
                    path.append(uri, start, end);
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

    /** The gains since the last acknowledgement, for at most {@code maxKeys} keys; empty when nothing was counted. */
    List<KeyReport> report(int maxKeys) {
        Map<String, KeyReport> byKey = new LinkedHashMap<>();
        Map<String, Long> lastUsed = new HashMap<>();
        for (Minute minute : minutes) {
            minute.keys.forEach((keyId, endpoints) -> endpoints.forEach((endpoint, counts) -> {
                for (int slot = 0; slot < OUTCOME_SLOTS; slot++) {
                    long total = (long) SLOT.getVolatile(counts, FIRST_OUTCOME + slot);
                    if (total == 0) {
                        continue;
                    }
                    Bucket bucket = new Bucket(keyId, minute.epochMinute, endpoint, outcomeOf(slot));
                    long gain = total - acknowledged.getOrDefault(bucket, 0L);
                    if (gain <= 0 || !byKey.containsKey(keyId) && byKey.size() >= maxKeys) {
                        continue;
                    }
                    KeyReport report = byKey.computeIfAbsent(keyId, id -> new KeyReport(id, null,
                            new LinkedHashMap<>(), new LinkedHashMap<>()));
                    report.gains().put(bucket, gain);
                    report.totals().put(bucket, total);
                }
                // After the totals: a decision sets the time before it counts.
                lastUsed.merge(keyId, (long) SLOT.getVolatile(counts, LAST_USED), Math::max);
            }));
        }
        List<KeyReport> reports = new ArrayList<>(byKey.size());
        byKey.values().forEach(report -> {
            long last = lastUsed.get(report.keyId());
            reports.add(new KeyReport(report.keyId(), last > 0 ? Instant.ofEpochMilli(last) : null, report.gains(),
                    report.totals()));
        });
        return reports;
    }

    /** Marks a report as recorded, and drops the minutes no decision can reach any more once they are reported. */
    void acknowledge(List<KeyReport> report) {
        report.forEach(key -> acknowledged.putAll(key.totals()));
        long quietBefore = clock.millis() / 60_000 - QUIET_AFTER_MINUTES;
        for (Minute minute : minutes) {
            if (minute.epochMinute < quietBefore && fullyReported(minute)) {
                minutes.remove(minute);
                acknowledged.keySet().removeIf(bucket -> bucket.epochMinute() == minute.epochMinute);
            }
        }
    }

    private boolean fullyReported(Minute minute) {
        for (Map.Entry<String, Map<String, long[]>> key : minute.keys.entrySet()) {
            for (Map.Entry<String, long[]> endpoint : key.getValue().entrySet()) {
                for (int slot = 0; slot < OUTCOME_SLOTS; slot++) {
                    long total = (long) SLOT.getVolatile(endpoint.getValue(), FIRST_OUTCOME + slot);
                    Bucket bucket = new Bucket(key.getKey(), minute.epochMinute, endpoint.getKey(), outcomeOf(slot));
                    if (total != 0 && acknowledged.getOrDefault(bucket, 0L) != total) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** Counters that decisions find through a minute's index rather than its maps. */
    int indexedCounters() {
        return minutes.stream().mapToInt(minute -> minute.index.size()).sum();
    }

    /** Counters held, reported or not. */
    int size() {
        int size = 0;
        for (Minute minute : minutes) {
            for (Map<String, long[]> endpoints : minute.keys.values()) {
                for (long[] counts : endpoints.values()) {
                    for (int slot = 0; slot < OUTCOME_SLOTS; slot++) {
                        size += (long) SLOT.getVolatile(counts, FIRST_OUTCOME + slot) == 0 ? 0 : 1;
                    }
                }
            }
        }
        return size;
    }
}
