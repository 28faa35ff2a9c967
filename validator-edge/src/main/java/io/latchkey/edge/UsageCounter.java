package io.latchkey.edge;

import io.latchkey.api.ApiKeyUsageRecordedEvent;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Counts every decision by key, minute, endpoint and outcome, on the request thread and without waiting: lookups in
 * the current minute's small maps and an atomic increment. Counters are never reset; a report carries what each
 * counter gained since the last acknowledged report, so nothing counted between taking a report and its
 * acknowledgement is lost, and a report that failed is sent again unchanged. A minute's counters are dropped as a
 * whole once it is {@value #QUIET_AFTER_MINUTES} minutes old and fully reported: no decision reaches it any more.
 * Decisions about keys that matched none count under {@value #UNKNOWN_KEY}, never under anything derived from the
 * secret. Each key keeps at most {@value #MAX_ENDPOINTS} distinct endpoints a minute; further ones count as
 * {@value #OTHER_ENDPOINT}, so clients cannot make the counters grow without bound.
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
    /** Atomic access to counter arrays: a plain array is one memory load less than an AtomicLongArray. */
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    static final String OTHER_OUTCOME = "other";

    private final Clock clock;
    private final List<Minute> minutes = new CopyOnWriteArrayList<>();
    private final Map<Bucket, Long> acknowledged = new ConcurrentHashMap<>();
    private final Map<String, String> normalised = new ConcurrentHashMap<>();
    private final Map<String, String> endpointNames = new ConcurrentHashMap<>();
    /** Outcome names by slot, and slots by name; a slot once given never changes. */
    private final List<String> outcomes = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> outcomeSlots = new ConcurrentHashMap<>();
    private volatile Minute current;

    UsageCounter(Clock clock) {
        this.clock = clock;
    }

    /** One counter. */
    record Bucket(String keyId, long epochMinute, String endpoint, String outcome) {
    }

    /** What a report carries for one key: the counters' gains, and the totals they reached (for the ack). */
    record KeyReport(String keyId, Instant lastUsedAt, Map<Bucket, Long> gains, Map<Bucket, Long> totals) {
    }

    /** One minute's counters: by key, then endpoint, then outcome. */
    private record Minute(long epochMinute, Map<String, KeyMinute> keys) {
    }

    /**
     * A key's counters in one minute: per endpoint, one array slot per outcome ({@link #outcomes}), so a decision
     * costs few memory loads. {@code lastUsed} is written without a lock: a racing older time may win by a few
     * milliseconds, never by more.
     */
    private static final class KeyMinute {
        final Map<String, long[]> endpoints = new ConcurrentHashMap<>();
        /**
         * The endpoint counted last, compared by reference before the map is asked: remembered URIs of one endpoint
         * normalise to one instance. Immutable, so a racing reader sees a whole pair or the previous one.
         */
        Endpoint last;
        volatile long lastUsed = Long.MIN_VALUE;
    }

    private record Endpoint(String path, long[] counts) {
    }

    /**
     * Counts one decision. {@code keyId} null means no key matched; {@code originalUri} is the gateway's original
     * request URI (null when it sent none); {@code outcome} is the decision's status or the refusal, in lower case.
     */
    void record(String keyId, String originalUri, String outcome) {
        long now = clock.millis();
        Minute minute = current;
        if (minute == null || minute.epochMinute() != now / 60_000) {
            minute = minute(now / 60_000);
        }
        String id = keyId == null ? UNKNOWN_KEY : keyId;
        KeyMinute key = minute.keys().get(id);
        if (key == null) {
            key = minute.keys().computeIfAbsent(id, k -> new KeyMinute());
        }
        String path = normalisedOnce(originalUri);
        Endpoint last = key.last;
        long[] counts;
        if (last != null && last.path() == path) {
            counts = last.counts();
        } else {
            counts = key.endpoints.get(path);
            if (counts == null) {
                counts = endpoint(key, path);
            }
            key.last = new Endpoint(path, counts);
        }
        SLOT.getAndAdd(counts, outcomeSlot(outcome), 1L);
        if (now > key.lastUsed) {
            key.lastUsed = now;
        }
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
            if (minute.epochMinute() == epochMinute) {
                return minute;
            }
        }
        Minute made = new Minute(epochMinute, new ConcurrentHashMap<>());
        minutes.add(made);
        if (current == null || epochMinute > current.epochMinute()) {
            current = made;
        }
        return made;
    }

    private String normalisedOnce(String originalUri) {
        if (originalUri == null) {
            return NO_ENDPOINT;
        }
        String path = normalised.get(originalUri);
        if (path == null) {
            path = normalise(originalUri);
            if (normalised.size() < MAX_REMEMBERED_URIS) {
                // One instance per endpoint, so /orders/1 and /orders/2 meet as the same /orders/{id}.
                path = endpointNames.computeIfAbsent(path, p -> p);
                normalised.put(originalUri, path);
            }
        }
        return path;
    }

    /** The counters of a key's endpoint new this minute, or of {@value #OTHER_ENDPOINT} past the cap. */
    private static long[] endpoint(KeyMinute key, String path) {
        // A racing add may pass the cap by a few; what matters is that it stays bounded.
        String counted = key.endpoints.size() >= MAX_ENDPOINTS && !key.endpoints.containsKey(path)
                ? OTHER_ENDPOINT : path;
        return key.endpoints.computeIfAbsent(counted, e -> new long[OUTCOME_SLOTS]);
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
        for (Minute minute : minutes) {
            minute.keys().forEach((keyId, key) -> key.endpoints.forEach((endpoint, counts) -> {
                for (int slot = 0; slot < OUTCOME_SLOTS; slot++) {
                    long total = (long) SLOT.getVolatile(counts, slot);
                    if (total == 0) {
                        continue;
                    }
                    Bucket bucket = new Bucket(keyId, minute.epochMinute(), endpoint, outcomeOf(slot));
                    long gain = total - acknowledged.getOrDefault(bucket, 0L);
                    if (gain <= 0 || !byKey.containsKey(keyId) && byKey.size() >= maxKeys) {
                        continue;
                    }
                    KeyReport report = byKey.computeIfAbsent(keyId, id -> new KeyReport(id, null,
                            new LinkedHashMap<>(), new LinkedHashMap<>()));
                    report.gains().put(bucket, gain);
                    report.totals().put(bucket, total);
                }
            }));
        }
        List<KeyReport> reports = new ArrayList<>(byKey.size());
        byKey.values().forEach(report -> reports.add(new KeyReport(report.keyId(), lastUsedAt(report.keyId()),
                report.gains(), report.totals())));
        return reports;
    }

    private Instant lastUsedAt(String keyId) {
        long last = Long.MIN_VALUE;
        for (Minute minute : minutes) {
            KeyMinute key = minute.keys().get(keyId);
            if (key != null) {
                last = Math.max(last, key.lastUsed);
            }
        }
        return last == Long.MIN_VALUE ? null : Instant.ofEpochMilli(last);
    }

    /** Marks a report as recorded, and drops the minutes no decision can reach any more once they are reported. */
    void acknowledge(List<KeyReport> report) {
        report.forEach(key -> acknowledged.putAll(key.totals()));
        long quietBefore = clock.millis() / 60_000 - QUIET_AFTER_MINUTES;
        for (Minute minute : minutes) {
            if (minute.epochMinute() < quietBefore && fullyReported(minute)) {
                minutes.remove(minute);
                acknowledged.keySet().removeIf(bucket -> bucket.epochMinute() == minute.epochMinute());
            }
        }
    }

    private boolean fullyReported(Minute minute) {
        for (Map.Entry<String, KeyMinute> key : minute.keys().entrySet()) {
            for (Map.Entry<String, long[]> endpoint : key.getValue().endpoints.entrySet()) {
                for (int slot = 0; slot < OUTCOME_SLOTS; slot++) {
                    long total = (long) SLOT.getVolatile(endpoint.getValue(), slot);
                    Bucket bucket = new Bucket(key.getKey(), minute.epochMinute(), endpoint.getKey(), outcomeOf(slot));
                    if (total != 0 && acknowledged.getOrDefault(bucket, 0L) != total) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** Counters held, reported or not. */
    int size() {
        int size = 0;
        for (Minute minute : minutes) {
            for (KeyMinute key : minute.keys().values()) {
                for (long[] counts : key.endpoints.values()) {
                    for (int slot = 0; slot < OUTCOME_SLOTS; slot++) {
                        size += (long) SLOT.getVolatile(counts, slot) == 0 ? 0 : 1;
                    }
                }
            }
        }
        return size;
    }
}
