package io.latchkey.command.rest;

import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.api.TimeBounds;
import io.latchkey.api.UsageCount;
import io.latchkey.command.KeyUsage;
import io.latchkey.command.RecordKeyUsageCommand;
import io.latchkey.support.security.Caller;
import io.latchkey.support.security.CredentialScreen;
import io.latchkey.support.web.Ids;
import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.RequestContext;
import io.latchkey.validator.Decision;
import io.latchkey.validator.servlet.HttpVerdict;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.axonframework.messaging.ResultMessage;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /v1/usage}: edges report the decisions they made, one command per key to that key's usage stream, in
 * units of work of up to {@value #KEYS_PER_UNIT} keys. The whole report is checked before anything is recorded: a bad
 * report (its edge, sequence or number of keys) records nothing, and a bad key's entry is refused alone, so that one
 * odd entry (from an edge of a later release, say) costs its own counts and not every key's in the report. A report
 * sent again (after a failure part of the way, or a lost answer) records only the keys it had not been recorded for.
 */
@RestController
// As in the other controllers: a client that takes no JSON is refused before anything is recorded.
@RequestMapping(produces = MediaType.APPLICATION_JSON_VALUE)
class UsageController {

    private static final Logger log = LoggerFactory.getLogger(UsageController.class);

    private static final Pattern EDGE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    /** The form every outcome has: a status's or a refusal's name. */
    private static final Pattern OUTCOME = Pattern.compile("[a-z_]{1,32}");
    private static final String OTHER_OUTCOME = "other";
    /**
     * The outcomes an edge counts: its decisions' ({@code Decision.usageOutcome}: the statuses, and a replaced secret
     * admitted in its grace), the refusals before a decision ({@link HttpVerdict#REFUSAL_OUTCOMES}) and {@code other},
     * where its counter has no slot left ({@code UsageCounter.OTHER_OUTCOME}). Edges of earlier releases send no other.
     * An outcome of this form that is none of these (an edge of a later release, a recorder of an embedding
     * application's own) is counted as {@code other}: kept, where refusing it would drop the key's other counts of the
     * report with it.
     */
    private static final Set<String> OUTCOMES = Stream.of(
            Arrays.stream(Decision.Status.values()).map(Decision.Status::usageName),
            Stream.of(Decision.VALID_PREVIOUS_SECRET), HttpVerdict.REFUSAL_OUTCOMES.stream(), Stream.of(OTHER_OUTCOME))
            .flatMap(outcomes -> outcomes).collect(Collectors.toUnmodifiableSet());
    private static final int MAX_KEYS = 10_000;
    /** The refused entries an answer names, the first ones: enough to find why, a bounded answer all the same. */
    static final int MAX_REFUSALS_LISTED = 100;
    private static final String INVALID_KEY_ID = "invalid-key-id";
    private static final String REPEATED_KEY = "repeated-key";
    /** The edge sends at most this many a key in one report ({@code UsageCounter.MAX_BUCKETS_PER_KEY}). */
    private static final int MAX_COUNTS_PER_KEY = 2_000;
    private static final int MAX_ENDPOINT = 256;
    /** The endpoint of counts whose endpoint held a credential. */
    static final String WITHHELD_ENDPOINT = "(withheld)";
    private static final long MAX_COUNT = 1_000_000_000L;
    /**
     * How far ahead of this side's clock a reported minute may be (a last use further ahead is taken as that far):
     * an edge's clock a little ahead is skew, further is wrong.
     */
    private static final Duration MAX_AHEAD = Duration.ofMinutes(5);
    /**
     * How far behind this side's clock a reported minute may be. An edge reports a minute within the hour, or drops it
     * (twice {@code UsageCounter.MAX_HELD_MINUTES}), and sends a report again for an hour at most
     * ({@code UsageReporter.MAX_RESEND}); the third hour is for clocks and slow sends. An older minute is no running
     * edge's: kept, it would rewrite a past the usage read model had already shown.
     */
    private static final Duration MAX_BEHIND = Duration.ofHours(3);
    /**
     * Keys recorded in one unit of work. Axon's work per aggregate grows with what the unit of work already holds: a
     * key loaded from the store lists every event staged so far, quadratic per load, so with 3,000 uncached keys the
     * slowest report call took 29 s with one unit of work per report and 6 s in parts (docs/benchmarks.md).
     */
    static final int KEYS_PER_UNIT = 500;

    private final CommandSender commands;
    private final Clock clock;
    private final CredentialScreen screen;
    private final AtomicLong lastRefusalLoggedAt = new AtomicLong(Long.MIN_VALUE / 2);

    UsageController(CommandSender commands, Clock clock, CredentialScreen screen) {
        this.commands = commands;
        this.clock = clock;
        this.screen = screen;
    }

    @PostMapping("/v1/usage")
    UsageReportResponse report(@RequestBody UsageReport report, RequestContext ctx) {
        // Edges report with the usage token, or the operator's: a developer's key must not write usage, even its own.
        if (!ctx.caller().equals(Caller.EDGE)) {
            ctx.caller().requireOperator();
        }
        if (report.edgeId() == null || !EDGE_ID.matcher(report.edgeId()).matches()
                || screen.holdsAnyCredential(report.edgeId())) {
            throw ProblemException.invalid("edgeId must be 1 to 64 letters, digits or ._:- characters, and no "
                    + "credential (nor 43 or more letters and digits in a row in mixed case, as a key's secret).");
        }
        if (report.batchSequence() == null || report.batchSequence() < 1) {
            throw ProblemException.invalid("batchSequence must be 1 or more.");
        }
        if (report.keys() == null || report.keys().isEmpty() || report.keys().size() > MAX_KEYS) {
            throw ProblemException.invalid("keys must hold 1 to " + MAX_KEYS + " entries.");
        }
        Instant now = clock.instant();
        List<RecordKeyUsageCommand> records = new ArrayList<>();
        List<UsageReportResponse.RefusedEntry> refusals = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int refused = 0;
        Instant earliest = now.minus(MAX_BEHIND);
        Instant latest = now.plus(MAX_AHEAD);
        for (int index = 0; index < report.keys().size(); index++) {
            UsageReport.KeyCounts key = report.keys().get(index);
            String refusal = refusal(key, earliest, latest);
            // The first valid entry of a key is kept; a repeat is refused, as the report holds the key once.
            if (refusal == null && !seen.add(key.keyId())) {
                refusal = REPEATED_KEY;
            }
            if (refusal != null) {
                refused++;
                if (refusals.size() < MAX_REFUSALS_LISTED) {
                    // A key id only where it is one: the entry's text is the reporter's, and may hold anything.
                    boolean named = key != null && !INVALID_KEY_ID.equals(refusal);
                    refusals.add(new UsageReportResponse.RefusedEntry(index, named ? key.keyId() : null, refusal));
                }
                continue;
            }
            // A last use further ahead is taken as the latest a minute may be: kept, it would stay the key's last use
            // for good (it is only ever raised), and refused, it would cost the entry's counts.
            Instant lastUsedAt = key.lastUsedAt() != null && key.lastUsedAt().isAfter(latest) ? latest
                    : key.lastUsedAt();
            records.add(new RecordKeyUsageCommand(KeyUsage.idOf(key.keyId()), key.keyId(), report.edgeId(),
                    report.batchSequence(), counts(key.counts(), screen), lastUsedAt, now));
        }
        if (refused > 0 && now.toEpochMilli() - lastRefusalLoggedAt.get() >= 60_000) {
            // Once a minute at most: an entry refused once is refused in every report of that edge.
            lastRefusalLoggedAt.set(now.toEpochMilli());
            UsageReportResponse.RefusedEntry first = refusals.get(0);
            log.warn("Usage report {} of edge {}: {} of {} keys refused, their counts not recorded; the first, entry "
                    + "{}, as {} (the answer lists up to {} entries with their reasons)", report.batchSequence(),
                    report.edgeId(), refused, report.keys().size(), first.index(), first.reason(),
                    MAX_REFUSALS_LISTED);
        }
        // Keys in one order, so that two reports taking the same streams' locks never wait on each other in a cycle.
        records.sort(Comparator.comparing(RecordKeyUsageCommand::keyId));
        int recorded = 0;
        for (int from = 0; from < records.size(); from += KEYS_PER_UNIT) {
            recorded += recordTogether(records.subList(from, Math.min(records.size(), from + KEYS_PER_UNIT)), ctx);
        }
        return new UsageReportResponse(report.edgeId(), report.batchSequence(), recorded, records.size() - recorded,
                refused, refusals);
    }

    /**
     * Records keys of a report in one unit of work: their events are appended in one write and made durable in one
     * commit, and the projections read them in one fetch, instead of one of each per key. A failure records none of
     * them, nor the parts after them, and the edge sends the report again; should the store fail part of the way
     * through the append (its write is ordered, not atomic), the events it kept are found recorded on the resend and
     * skipped, so every key's counts are still recorded once. A race to append cannot reach the commit: each usage
     * stream stays locked until the part's unit of work ends, and only this process appends to it.
     */
    private int recordTogether(List<RecordKeyUsageCommand> records, RequestContext ctx) {
        ResultMessage<Integer> result = DefaultUnitOfWork.startAndGet(null).executeWithResult(() -> {
            int recorded = 0;
            for (RecordKeyUsageCommand record : records) {
                Boolean taken = commands.send(record, ctx, Ids.NO_SUCH_KEY);
                recorded += Boolean.TRUE.equals(taken) ? 1 : 0;
            }
            return recorded;
        });
        if (result.isExceptional()) {
            Throwable failure = result.exceptionResult();
            throw failure instanceof RuntimeException runtime ? runtime : new IllegalStateException(failure);
        }
        return result.getPayload();
    }

    /**
     * Why a key entry is refused, or null when it is taken: a key id (or {@code unknown}), a last use the stores can
     * hold, and 1 to {@value #MAX_COUNTS_PER_KEY} counts, each with the start of a minute from {@code earliest} to
     * {@code latest}, an endpoint of 1 to {@value #MAX_ENDPOINT} printable characters, an outcome of the
     * {@link #OUTCOME} form and a count from 1 to {@value #MAX_COUNT}.
     */
    private static String refusal(UsageReport.KeyCounts key, Instant earliest, Instant latest) {
        if (key == null) {
            return "no-entry";
        }
        if (!ApiKeyUsageRecordedEvent.UNKNOWN_KEY.equals(key.keyId()) && !Ids.valid(key.keyId())) {
            return INVALID_KEY_ID;
        }
        if (key.lastUsedAt() != null && !TimeBounds.holds(key.lastUsedAt())) {
            return "invalid-last-used-at";
        }
        if (key.counts() == null || key.counts().isEmpty() || key.counts().size() > MAX_COUNTS_PER_KEY) {
            return "invalid-counts";
        }
        for (UsageReport.Count count : key.counts()) {
            String refusal = count == null ? "invalid-counts" : refusal(count, earliest, latest);
            if (refusal != null) {
                return refusal;
            }
        }
        return null;
    }

    private static String refusal(UsageReport.Count count, Instant earliest, Instant latest) {
        if (count.minute() == null || !count.minute().equals(count.minute().truncatedTo(ChronoUnit.MINUTES))) {
            return "invalid-minute";
        }
        if (count.minute().isBefore(earliest) || count.minute().isAfter(latest)) {
            return "minute-out-of-range";
        }
        if (count.endpoint() == null || count.endpoint().isEmpty() || count.endpoint().length() > MAX_ENDPOINT
                || count.endpoint().chars().anyMatch(Character::isISOControl)) {
            return "invalid-endpoint";
        }
        if (count.outcome() == null || !OUTCOME.matcher(count.outcome()).matches()) {
            return "invalid-outcome";
        }
        if (count.count() == null || count.count() < 1 || count.count() > MAX_COUNT) {
            return "invalid-count";
        }
        return null;
    }

    /**
     * A valid entry's counts as recorded: an endpoint holding a credential withheld, an outcome not among the
     * {@link #OUTCOMES} counted as {@code other}.
     */
    private static List<UsageCount> counts(List<UsageReport.Count> counts, CredentialScreen screen) {
        List<UsageCount> recorded = new ArrayList<>(counts.size());
        for (UsageReport.Count count : counts) {
            // Events are kept for good, and a client's URL may hold what it pasted there: kept as counted, not as sent.
            // The edge counts a URL holding a key without its path; a segment such as /lkop_ it keeps as it came. A
            // secret without its prefix reads as plain text, and anyone who read it could put the prefix back.
            String endpoint = screen.holdsAnyCredential(count.endpoint()) ? WITHHELD_ENDPOINT : count.endpoint();
            String outcome = OUTCOMES.contains(count.outcome()) ? count.outcome() : OTHER_OUTCOME;
            recorded.add(new UsageCount(count.minute(), endpoint, outcome, count.count()));
        }
        return recorded;
    }
}
