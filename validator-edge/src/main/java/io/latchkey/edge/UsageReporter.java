package io.latchkey.edge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the {@link UsageCounter}'s gains to the command side's {@code POST /v1/usage} every flush interval, on its
 * own thread. A report is sent again, unchanged (same edge id and sequence), until the command side acknowledges
 * it, which records it once, or for at most {@link #MAX_RESEND}; only then is the next one taken. The edge id is
 * new at every start, so a restarted edge never collides with its former self. What a crash loses is what was
 * counted since the last acknowledged report: at most one flush interval, or longer while the command side is
 * unreachable.
 */
final class UsageReporter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UsageReporter.class);
    /** The command side's limit per report. */
    static final int MAX_KEYS = 10_000;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** How long a report is sent again before it is given up: far less than the command side remembers an edge. */
    static final Duration MAX_RESEND = Duration.ofHours(1);
    /** Parts taken at a size a proxy's 413 set before reports may be twice as large again. */
    private static final int GROW_BACK_AFTER = 60;
    /**
     * More than any answer of the command side's: {@code {edgeId, batchSequence, recorded, duplicates, refused,
     * refusedEntries}}, the last naming 100 entries at most.
     */
    private static final int MAX_ANSWER_BYTES = 64 * 1024;
    private static final int MAX_REASONS_LOGGED = 5;
    private static final Pattern REASON = Pattern.compile("[a-z-]{1,40}");
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /**
     * Why a send failed, the failure counter's tag: the command side not reached (no connection within the connect
     * timeout included), or not answering within the request timeout; the usage token refused (401, 403); another
     * status than 200 (a 413 for a part that cannot be made smaller among them); a proxy's 413, which the next send
     * answers with a smaller part; the edge's own failure (a report it could not write, a flush that threw).
     */
    static final List<String> FAILURES = List.of("unreachable", "timeout", "refused", "status", "too-large", "error");

    private final UsageCounter counter;
    private final URI endpoint;
    private final String token;
    private final ObjectMapper json;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ScheduledExecutorService threads;
    private final String edgeId = UUID.randomUUID().toString();
    private final Map<String, AtomicLong> failures = FAILURES.stream()
            .collect(Collectors.toUnmodifiableMap(reason -> reason, reason -> new AtomicLong()));
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong refusedKeys = new AtomicLong();
    private long lastRefusalLoggedAt = Long.MIN_VALUE / 2;
    private final AtomicLong abandoned = new AtomicLong();
    private final Duration shutdownBudget;
    private long sequence;
    private List<UsageCounter.KeyReport> pending;
    /**
     * The report's keys still to send after {@link #pending}, under the same sequence: a report a proxy refused as too
     * large goes in parts, each key in one of them, so that the command side skips the keys it recorded if an earlier
     * send of the whole report was recorded and only its answer lost.
     */
    private List<UsageCounter.KeyReport> rest = List.of();
    /** Whether a send of the report under way may have been recorded: one whose answer never came, or said nothing. */
    private boolean maybeRecorded;
    /** The size of the reports taken: the command side's limits, or less after a proxy's 413. */
    private int keysPerReport = MAX_KEYS;
    private int bucketsPerKey = UsageCounter.MAX_BUCKETS_PER_KEY;
    /** Parts taken since a proxy's 413 made them smaller; at {@link #GROW_BACK_AFTER}, reports may grow again. */
    private int takenSinceSmaller;
    /** The last part of one key a proxy refused since a part was last taken: its key, and its buckets. */
    private String lastRefusedKey;
    private int lastRefusedBuckets;
    /** Whether the flush under way had a part taken or made one smaller: what shutdown's retries count on. */
    private boolean progressed;
    /** When the pending report was taken, on the counter's clock. */
    private long pendingSince;
    /** Whether the flush under way (or last made) has counted a failure. */
    private boolean failureCounted;
    private final FailureLog failureLog;

    /**
     * @param shutdownBudget how long {@link #close()} may spend sending what is left: a stop must end even while the
     *                       command side hangs, before the orchestrator's own grace period kills the process
     */
    UsageReporter(UsageCounter counter, URI commandSide, String token, ObjectMapper json, Duration interval,
                  Duration shutdownBudget) {
        this.counter = counter;
        this.shutdownBudget = shutdownBudget;
        this.endpoint = commandSide.resolve("/v1/usage");
        this.token = token;
        this.json = json;
        this.failureLog = new FailureLog(log, counter::millis);
        // Two threads for two tasks, neither run twice at once: a flush can wait for the command side as long as the
        // request timeout, half a minute, and the next minute's counters are made ahead meanwhile.
        this.threads = Executors.newScheduledThreadPool(2, task -> {
            Thread worker = new Thread(task, "latchkey-usage");
            worker.setDaemon(true);
            return worker;
        });
        threads.scheduleWithFixedDelay(this::flushQuietly, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
        threads.scheduleWithFixedDelay(this::prepareQuietly, 1, 1, TimeUnit.SECONDS);
    }

    private void prepareQuietly() {
        try {
            counter.prepareNext();
        } catch (RuntimeException | OutOfMemoryError e) {
            // Thrown out of a scheduled task, either would end every later one; the flush prepares too.
            log.warn("Preparing the next minute's usage counters failed ({})", e.getClass().getSimpleName());
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException | OutOfMemoryError e) {
            // Thrown out of a scheduled task, either would end every later flush without a word.
            log.warn("Usage report failed ({}); it will be sent again", e.getClass().getSimpleName());
            try {
                failedUnlessCounted();
            } catch (RuntimeException | OutOfMemoryError again) {
                if (!failureCounted) {
                    failures.get("error").incrementAndGet();
                }
            }
        }
    }

    /**
     * Whether a refusal is the command side's own, a problem document: a proxy's 400 (a plain-HTTP request sent to
     * its TLS port, a header it would not pass) says nothing of the report, which is sent again rather than dropped.
     * Reports go without an Accept header, so the command side's refusals come as problem documents.
     */
    private static boolean fromCommandSide(HttpResponse<?> answer) {
        return answer.headers().firstValue("Content-Type").filter(type -> type.startsWith("application/problem+json"))
                .isPresent();
    }

    /** Sends the pending report, or takes and sends a new one; true when nothing is left pending. */
    boolean flush() {
        return flush(REQUEST_TIMEOUT);
    }

    private synchronized boolean flush(Duration timeout) {
        failureCounted = false;
        progressed = false;
        counter.maintain();
        if (pending == null && !rest.isEmpty()) {
            // A part at a time, no larger than the proxy took.
            int part = Math.min(rest.size(), keysPerReport);
            pending = new ArrayList<>(rest.subList(0, part));
            rest = new ArrayList<>(rest.subList(part, rest.size()));
        }
        // Checked before every send: a process frozen for a day (suspended, paused) must not resend on waking.
        abandonIfTooOld();
        if (pending == null) {
            List<UsageCounter.KeyReport> next = counter.report(keysPerReport, bucketsPerKey);
            if (next.isEmpty()) {
                return true;
            }
            pending = next;
            pendingSince = counter.millis();
            sequence++;
            maybeRecorded = false;
        }
        byte[] report;
        try {
            report = json.writeValueAsBytes(body());
        } catch (JsonProcessingException e) {
            // The edge's own failure, before any send: counted as such, not as a command side out of reach.
            failed("error");
            log.warn("Usage report {} of edge {} could not be written ({}); it will be tried again", sequence, edgeId,
                    e.getClass().getSimpleName());
            return false;
        }
        try {
            // Only a 200's body is read, and only as much as the command side answers: another status's may be a
            // proxy's page of any size.
            HttpResponse<byte[]> answer = HttpAnswers.within(http, HttpRequest.newBuilder(endpoint)
                            .timeout(timeout)
                            .header("Authorization", "Bearer " + token)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(report))
                            .build(),
                    head -> HttpAnswers.firstBytes(head.statusCode() == 200 ? MAX_ANSWER_BYTES : 0), timeout);
            if ((answer.statusCode() == 400 || answer.statusCode() == 422) && fromCommandSide(answer)) {
                // The command side will never take this report: sending it again would block every later one.
                rejected.incrementAndGet();
                gotThrough();
                log.error("Usage report {} of edge {} was refused as invalid ({}); its counts are dropped", sequence,
                        edgeId, answer.statusCode());
                counter.acknowledge(takePending());
                progressed = true;
                return rest.isEmpty();
            }
            if (answer.statusCode() == 413 && smaller()) {
                // A proxy's limit (the command side takes any report's size). Counted, but no failure to reach the
                // command side: the counter keeps its minutes as it does while reports go through.
                failures.get("too-large").incrementAndGet();
                log.warn("Usage report {} of edge {} was too large for a proxy (413); sending it in parts, and reports "
                        + "of at most {} keys and {} buckets a key", sequence, edgeId, keysPerReport, bucketsPerKey);
                return false;
            }
            if (answer.statusCode() != 200) {
                // A proxy's 5xx, or a 503 of the command side after part of the work, may come after the report was
                // recorded; a 413 (a part that cannot be made smaller) and a proxy's 400 never do.
                maybeRecorded |= answer.statusCode() >= 500;
                boolean refused = answer.statusCode() == 401 || answer.statusCode() == 403;
                failed(refused ? "refused" : "status");
                if (refused) {
                    failureLog.failed(String.valueOf(answer.statusCode()), "Usage report {} of edge {} answered {}: "
                            + "the usage token is wrong or missing (latchkey.usage.token, LATCHKEY_USAGE_TOKEN: the "
                            + "installation's usage token, as the command side has it); it will be sent again",
                            sequence, edgeId, answer.statusCode());
                } else {
                    failureLog.failed(String.valueOf(answer.statusCode()), "Usage report {} of edge {} answered {}; "
                            + "it will be sent again", sequence, edgeId, answer.statusCode());
                }
                return false;
            }
            noteRefusedKeys(answer.body());
        } catch (IOException e) {
            maybeRecorded = true;
            failed(HttpAnswers.late(e) ? "timeout" : "unreachable");
            failureLog.failed("unreachable", "Usage reports cannot reach the command side at {} ({}): check "
                    + "latchkey.usage.command-url and that the command side is up. They are sent again; minutes "
                    + "unsent for half an hour are dropped, and a report unsent for an hour is given up", endpoint,
                    FailureLog.cause(e));
            return false;
        } catch (InterruptedException e) {
            maybeRecorded = true;
            Thread.currentThread().interrupt();
            return false;
        }
        gotThrough();
        counter.acknowledge(takePending());
        progressed = true;
        lastRefusedKey = null;
        // Back towards the full size after a while: a proxy's limit found once is most likely still there.
        if (++takenSinceSmaller >= GROW_BACK_AFTER) {
            takenSinceSmaller = 0;
            keysPerReport = (int) Math.min(MAX_KEYS, 2L * keysPerReport);
            bucketsPerKey = (int) Math.min(UsageCounter.MAX_BUCKETS_PER_KEY, 2L * bucketsPerKey);
        }
        return rest.isEmpty();
    }

    /**
     * After a proxy refused {@link #pending} as too large: its first half of keys is sent again under the same
     * sequence and the other half after it, and later reports hold half as many keys. A part of one key is taken
     * again with half its buckets, under a new sequence, unless a send of the report may have been recorded (its
     * buckets would be recorded twice) or the part is no smaller than before (entries go whole, all their outcomes
     * together); such a part goes after the report's other parts. False when nothing else is left: the part is then
     * sent again as it is, until the report is given up.
     */
    private boolean smaller() {
        takenSinceSmaller = 0;
        if (pending.size() > 1) {
            int half = pending.size() / 2;
            List<UsageCounter.KeyReport> later = new ArrayList<>(pending.subList(half, pending.size()));
            later.addAll(rest);
            rest = later;
            pending = new ArrayList<>(pending.subList(0, half));
            keysPerReport = Math.min(keysPerReport, half);
            progressed = true;
            return true;
        }
        String keyId = pending.get(0).keyId();
        int buckets = pending.get(0).gains().size();
        if (!maybeRecorded && buckets > 1 && (!keyId.equals(lastRefusedKey) || buckets < lastRefusedBuckets)) {
            lastRefusedKey = keyId;
            lastRefusedBuckets = buckets;
            progressed = true;
            bucketsPerKey = Math.min(bucketsPerKey, buckets / 2);
            // Unacknowledged: taken again in a later report, in fewer buckets.
            takePending();
            return true;
        }
        if (!rest.isEmpty()) {
            List<UsageCounter.KeyReport> later = new ArrayList<>(rest);
            later.addAll(takePending());
            rest = later;
            return true;
        }
        return false;
    }

    /**
     * The keys the command side refused in a report it took: their counts are dropped, the others' recorded. Logged
     * once a minute at most: an entry one side refuses is refused in every report.
     */
    private void noteRefusedKeys(byte[] answer) {
        JsonNode taken;
        try {
            taken = json.readTree(answer);
        } catch (IOException unreadable) {
            // Taken all the same (200): an answer this edge cannot read refused nothing it can tell.
            return;
        }
        long refused = taken.path("refused").asLong(0);
        if (refused > 0) {
            long total = refusedKeys.addAndGet(refused);
            long now = counter.millis();
            if (now - lastRefusalLoggedAt >= 60_000) {
                lastRefusalLoggedAt = now;
                log.error("Usage report {} of edge {}: {} keys refused as invalid ({}), {} since start; their counts "
                        + "are dropped", sequence, edgeId, refused, reasons(taken.path("refusedEntries")), total);
            }
        }
    }

    /**
     * The first refused entries as the command side named them ({@code entry 3 (key k-1): minute-out-of-range}), kept
     * to the forms it answers in: this goes into the log as it came. A command side of an earlier release names none.
     */
    private static String reasons(JsonNode entries) {
        List<String> named = new ArrayList<>();
        for (JsonNode entry : entries) {
            String reason = entry.path("reason").asText("");
            if (named.size() == MAX_REASONS_LOGGED || !REASON.matcher(reason).matches()) {
                break;
            }
            String keyId = entry.path("keyId").asText("");
            named.add("entry " + entry.path("index").asInt() + (KEY_ID.matcher(keyId).matches()
                    ? " (key " + keyId + ")" : "") + ": " + reason);
        }
        return named.isEmpty() ? "no reason given" : String.join(", ", named)
                + (entries.size() > named.size() ? ", …" : "");
    }

    private void gotThrough() {
        failureLog.gotThrough("Usage reports reach the command side at {} again, after {} failed sends", endpoint);
    }

    /** Lets the counter drop minutes too old to wait for: an outage would otherwise hold them until memory ran out. */
    private synchronized void failed(String reason) {
        failureCounted = true;
        failures.get(reason).incrementAndGet();
        counter.failed();
    }

    /**
     * Gives the pending report up once it has been resent for {@link #MAX_RESEND}: the command side remembers an edge
     * for a day after its last report, so a report sent later than that could be recorded twice. Its minutes are
     * long dropped by then (after half an hour of failures); what it still carries is lost.
     */
    private void abandonIfTooOld() {
        if (pending != null && counter.millis() - pendingSince >= MAX_RESEND.toMillis()) {
            // Parts are made before this check, so a report's last part is given up with it.
            List<UsageCounter.KeyReport> given = new ArrayList<>(takePending());
            given.addAll(rest);
            rest = List.of();
            abandoned.incrementAndGet();
            log.error("Usage report {} of edge {} was not acknowledged within {} and is given up; its counts are lost "
                    + "unless the command side recorded it and only its answer was lost", sequence, edgeId, MAX_RESEND);
            counter.abandon(given);
        }
    }

    /** The pending report, cleared first: one settled is never sent again, even if the counter fails to settle it. */
    private List<UsageCounter.KeyReport> takePending() {
        List<UsageCounter.KeyReport> taken = pending;
        pending = null;
        return taken;
    }

    /** A flush that threw counts as one failure, not two when it had counted its own before throwing. */
    private synchronized void failedUnlessCounted() {
        if (!failureCounted) {
            failed("error");
        }
    }

    private Map<String, Object> body() {
        List<Map<String, Object>> keys = new ArrayList<>(pending.size());
        for (UsageCounter.KeyReport key : pending) {
            List<Map<String, Object>> counts = new ArrayList<>(key.gains().size());
            key.gains().forEach((bucket, gain) -> {
                Map<String, Object> count = new LinkedHashMap<>();
                count.put("minute", Instant.ofEpochSecond(bucket.epochMinute() * 60).toString());
                count.put("endpoint", bucket.endpoint());
                count.put("outcome", bucket.outcome());
                count.put("count", gain);
                counts.add(count);
            });
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("keyId", key.keyId());
            entry.put("lastUsedAt", key.lastUsedAt() == null ? null : key.lastUsedAt().toString());
            entry.put("counts", counts);
            keys.add(entry);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("edgeId", edgeId);
        body.put("batchSequence", sequence);
        body.put("keys", keys);
        return body;
    }

    /** Failed sends for every reason. */
    long failures() {
        return failures.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** Failed sends for one of {@link #FAILURES}. */
    long failures(String reason) {
        return failures.get(reason).get();
    }

    long rejected() {
        return rejected.get();
    }

    long refusedKeys() {
        return refusedKeys.get();
    }

    long abandoned() {
        return abandoned.get();
    }

    String edgeId() {
        return edgeId;
    }

    /**
     * Stops the schedule and sends what is left, so a graceful shutdown loses nothing reachable: the backlog may take
     * several reports after an outage. Gives up after five failures or the shutdown budget, whichever comes first.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + shutdownBudget.toNanos();
        threads.shutdownNow();
        try {
            // A scheduled flush, interrupted, ends first: the counter takes one reporter at a time.
            threads.awaitTermination(shutdownBudget.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        for (int failures = 0; failures < 5; ) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            if (!flush(Duration.ofNanos(Math.min(left, REQUEST_TIMEOUT.toNanos())))) {
                if (Thread.currentThread().isInterrupted()) {
                    break;
                }
                // A part taken, or one a proxy refused as too large made smaller, is progress, not a failure.
                failures += progressed ? 0 : 1;
            } else if (counter.report(1).isEmpty()) {
                return;
            }
        }
        log.warn("Usage counted since the last acknowledged report of edge {} could not be sent at shutdown", edgeId);
    }
}
