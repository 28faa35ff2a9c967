package io.latchkey.edge;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts every decision by key, minute, endpoint and outcome, on the request thread and without waiting: a map
 * lookup and an adder increment. Counters are never reset; a report carries what each counter gained since the last
 * acknowledged report, so nothing counted between taking a report and its acknowledgement is lost, and a report
 * that failed is sent again unchanged. Decisions about keys that matched none count under {@value #UNKNOWN_KEY},
 * never under anything derived from the secret. Each key keeps at most {@value #MAX_ENDPOINTS} distinct endpoints;
 * further ones count as {@value #OTHER_ENDPOINT}, so clients cannot make the counters grow without bound.
 */
final class UsageCounter {

    static final String UNKNOWN_KEY = "unknown";
    static final String NO_ENDPOINT = "*";
    static final String OTHER_ENDPOINT = "(other)";
    static final int MAX_ENDPOINTS = 32;
    static final int MAX_ENDPOINT_LENGTH = 128;
    /** Buckets this many minutes old get no more decisions; once reported they are dropped. */
    private static final long QUIET_AFTER_MINUTES = 2;

    private final Clock clock;
    private final Map<Bucket, LongAdder> counts = new ConcurrentHashMap<>();
    private final Map<Bucket, Long> acknowledged = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> endpointsByKey = new ConcurrentHashMap<>();
    private final Map<String, LongAccumulator> lastUsed = new ConcurrentHashMap<>();

    UsageCounter(Clock clock) {
        this.clock = clock;
    }

    /** One decision's counter. */
    record Bucket(String keyId, long epochMinute, String endpoint, String outcome) {
    }

    /** What a report carries for one key: the counters' gains, and the totals they reached (for the ack). */
    record KeyReport(String keyId, Instant lastUsedAt, Map<Bucket, Long> gains, Map<Bucket, Long> totals) {
    }

    /**
     * Counts one decision. {@code keyId} null means no key matched; {@code originalUri} is the gateway's original
     * request URI (null when it sent none); {@code outcome} is the decision's status or the refusal, in lower case.
     */
    void record(String keyId, String originalUri, String outcome) {
        long now = clock.millis();
        String key = keyId == null ? UNKNOWN_KEY : keyId;
        Bucket bucket = new Bucket(key, now / 60_000, endpoint(key, originalUri), outcome);
        counts.computeIfAbsent(bucket, b -> new LongAdder()).increment();
        lastUsed.computeIfAbsent(key, k -> new LongAccumulator(Math::max, Long.MIN_VALUE)).accumulate(now);
    }

    private String endpoint(String keyId, String originalUri) {
        String path = normalise(originalUri);
        Set<String> seen = endpointsByKey.computeIfAbsent(keyId, k -> ConcurrentHashMap.newKeySet());
        if (seen.contains(path)) {
            return path;
        }
        // A racing add may pass the cap by a few; what matters is that it stays bounded.
        if (seen.size() >= MAX_ENDPOINTS) {
            return OTHER_ENDPOINT;
        }
        seen.add(path);
        return path;
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
        for (Map.Entry<Bucket, LongAdder> counter : counts.entrySet()) {
            Bucket bucket = counter.getKey();
            long total = counter.getValue().sum();
            long gain = total - acknowledged.getOrDefault(bucket, 0L);
            if (gain <= 0 || !byKey.containsKey(bucket.keyId()) && byKey.size() >= maxKeys) {
                continue;
            }
            KeyReport key = byKey.computeIfAbsent(bucket.keyId(), id -> new KeyReport(id, lastUsedAt(id),
                    new LinkedHashMap<>(), new LinkedHashMap<>()));
            key.gains().put(bucket, gain);
            key.totals().put(bucket, total);
        }
        return new ArrayList<>(byKey.values());
    }

    /** Null only when a prune raced with the key's first decision in a while; the counts are what matter. */
    private Instant lastUsedAt(String keyId) {
        LongAccumulator last = lastUsed.get(keyId);
        return last == null || last.get() == Long.MIN_VALUE ? null : Instant.ofEpochMilli(last.get());
    }

    /** Marks a report as recorded, and drops the counters no decision can reach any more once they are reported. */
    void acknowledge(List<KeyReport> report) {
        report.forEach(key -> acknowledged.putAll(key.totals()));
        long quietBefore = clock.millis() / 60_000 - QUIET_AFTER_MINUTES;
        counts.entrySet().removeIf(counter -> {
            Bucket bucket = counter.getKey();
            boolean done = bucket.epochMinute() < quietBefore
                    && acknowledged.getOrDefault(bucket, 0L) == counter.getValue().sum();
            if (done) {
                acknowledged.remove(bucket);
            }
            return done;
        });
        Set<String> live = ConcurrentHashMap.newKeySet();
        counts.keySet().forEach(bucket -> live.add(bucket.keyId()));
        endpointsByKey.keySet().retainAll(live);
        lastUsed.keySet().retainAll(live);
    }

    /** Counters held, reported or not. */
    int size() {
        return counts.size();
    }
}
