package io.latchkey.query.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.query.DeveloperProjection;
import io.latchkey.query.DeveloperView;
import io.latchkey.query.KeyProjection;
import io.latchkey.query.KeyUsageProjection;
import io.latchkey.query.KeyView;
import io.latchkey.query.PastStates;
import io.latchkey.support.events.EventWindows;
import io.latchkey.support.web.Ids;
import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.RequestContext;
import io.latchkey.validator.spring.Settings;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.axonframework.eventhandling.DomainEventMessage;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.http.HttpHeaders;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /v1/keys/{keyId}} from the read model; the key at a past instant ({@code ?asOf=}) and
 * {@code GET /v1/keys/{keyId}/history} from the event store.
 */
@RestController
@RequestMapping(path = "/v1/keys/{keyId}", produces = MediaType.APPLICATION_JSON_VALUE)
class KeyController {

    private final KeyProjection keys;
    private final DeveloperProjection developers;
    private final KeyUsageProjection usage;
    private final EventWindows windows;
    private final PastStates pastStates;
    /**
     * Folds for {@code asOf} running at once ({@code latchkey.key-as-of.max-queries}): one may decode up to
     * {@code latchkey.key-as-of.max-events} events on a request thread that {@code /v1/validate} shares.
     */
    private final Places pastQueries;
    private final int maxAsOfEvents;
    private final HistoryEntries entries;
    private final Clock clock;
    private final CurrentViews current;
    private final UsageReads usageReads;

    KeyController(KeyProjection keys, DeveloperProjection developers, KeyUsageProjection usage, EventWindows windows,
                  PastStates pastStates, ObjectMapper json, Clock clock, CurrentViews current, UsageReads usageReads,
                  @Value("${latchkey.key-as-of.max-queries:4}") int maxAsOfQueries,
                  @Value("${latchkey.key-as-of.max-events:100000}") int maxAsOfEvents) {
        this.keys = keys;
        this.developers = developers;
        this.usage = usage;
        this.windows = windows;
        this.pastStates = pastStates;
        this.entries = new HistoryEntries(json);
        this.clock = clock;
        this.current = current;
        this.usageReads = usageReads;
        this.pastQueries = new Places(Settings.atLeast("latchkey.key-as-of.max-queries", maxAsOfQueries, 1),
                "too-many-as-of-queries",
                "Too many past states are being read; ask again shortly.");
        this.maxAsOfEvents = Settings.atLeast("latchkey.key-as-of.max-events", maxAsOfEvents, 1);
    }

    /**
     * The key as the log holds it when the request comes (a change the command side has answered is in it, so a
     * create's {@code Location} is found at once), with its version as the {@code ETag} a change's {@code If-Match}
     * takes. The ETag is set on the response, not through Spring's entity, which would answer a matching
     * {@code If-None-Match} 304: the body also tells what changes without a version (status by the clock, quota used,
     * last use, the developer's default limit).
     */
    @GetMapping
    KeyResponse key(@PathVariable String keyId, @RequestParam MultiValueMap<String, String> parameters,
                    RequestContext ctx, HttpServletResponse response) {
        // A misspelt asOf (?asof=) would otherwise answer with the key as it is now.
        QueryParameters.only(parameters, List.of("asOf"));
        KeyView key = find(keyId, ctx, CurrentViews.Freshness.LATEST);
        response.setHeader(HttpHeaders.ETAG, "\"" + key.version() + "\"");
        response.setHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
        return KeyResponse.of(key, developers.find(key.developerId()).map(DeveloperView::defaultRateLimit).orElse(null),
                usage.summary(keyId).orElse(null), clock.instant());
    }

    /**
     * The key's settings as they stood at {@code asOf}, for a compliance question about a past moment (which scopes,
     * was it revoked, which secret's hint). The owner is checked on the key's first event (one fetch of the store)
     * before any other is read: another developer's key answers as a key that does not exist; one created later
     * answers 404 {@code not-yet-created}, telling only its owner when. Folds run in bounded places and read a
     * bounded number of events, as usage queries do.
     */
    @GetMapping(params = "asOf")
    KeyAsOfResponse keyAsOf(@PathVariable String keyId, @RequestParam String asOf,
                            @RequestParam MultiValueMap<String, String> parameters, RequestContext ctx) {
        QueryParameters.only(parameters, List.of("asOf"));
        Instant at = QueryParameters.past("asOf", asOf, clock.instant(), "leave it out for the key as it is now.");
        PastStates.Creation creation = owned(pastStates.creation(Ids.require(keyId, Ids.NO_SUCH_KEY)), ctx);
        if (creation.recordedAt().isAfter(at)) {
            throw new ProblemException(404, "not-yet-created", "Not found",
                    "The key's creation was recorded at " + creation.recordedAt() + ", after asOf.");
        }
        try {
            return KeyAsOfResponse.of(at, pastQueries.within(ctx.caller().developerId(),
                    () -> pastStates.key(creation, at, maxAsOfEvents)));
        } catch (PastStates.TooManyEvents e) {
            throw new ProblemException(422, "history-too-long", "Invalid request", "The key and its developer have "
                    + "more than " + maxAsOfEvents + " events up to asOf (latchkey.key-as-of.max-events).");
        }
    }

    /** The key's usage buckets ({@link UsageReads}). */
    @GetMapping("/usage")
    UsageResponse usage(@PathVariable String keyId, @RequestParam(required = false) String from,
                        @RequestParam(required = false) String to,
                        @RequestParam(required = false) String granularity,
                        @RequestParam MultiValueMap<String, String> parameters, RequestContext ctx) {
        QueryParameters.only(parameters, List.of("from", "to", "granularity"));
        KeyUsageProjection.Granularity size = UsageReads.granularity(granularity);
        find(keyId, ctx, CurrentViews.Freshness.EXISTS);
        return usageReads.read(keyId, from, to, size, ctx.caller());
    }

    /** A key's creation the caller may see: another developer's answers exactly as a key that does not exist. */
    private static PastStates.Creation owned(Optional<PastStates.Creation> creation, RequestContext ctx) {
        return creation.filter(created -> ctx.caller().mayAccess(created.event().developerId()))
                .orElseThrow(() -> ProblemException.notFound(Ids.NO_SUCH_KEY));
    }

    /**
     * The caller's key, as fresh as {@code freshness} asks ({@link CurrentViews}): another developer's answers
     * exactly as a key that does not exist.
     */
    private KeyView find(String keyId, RequestContext ctx, CurrentViews.Freshness freshness) {
        String id = Ids.require(keyId, Ids.NO_SUCH_KEY);
        return current.read(id, freshness,
                        () -> keys.find(id).filter(key -> ctx.caller().mayAccess(key.developerId())), KeyView::version,
                        () -> pastStates.creation(id).filter(c -> ctx.caller().mayAccess(c.event().developerId()))
                                .isPresent())
                .orElseThrow(() -> ProblemException.notFound(Ids.NO_SUCH_KEY));
    }

    /**
     * A page of the key's events, oldest first: its lifecycle stream and its usage stream merged by time. Read from
     * the event store rather than through a snapshot, so the audit trail is always complete. A stream that does not
     * start with a key's creation is some other aggregate's and answers 404 like an unknown id, and so does another
     * developer's key. Each stream is read only as far as the page can reach ({@link EventWindows}), never whole: a
     * busy key's usage stream grows by a report per edge every second or so, which is also why {@code from} finds
     * its place by halving ({@link HistoryCursor#since}) rather than by reading what comes before it.
     */
    @GetMapping("/history")
    HistoryResponse history(@PathVariable String keyId, @RequestParam(required = false) String stream,
                            @RequestParam(required = false) String limit, @RequestParam(required = false) String after,
                            @RequestParam(name = "from", required = false) String fromText,
                            @RequestParam MultiValueMap<String, String> parameters, RequestContext ctx) {
        QueryParameters.only(parameters, List.of("stream", "limit", "after", "from"));
        // Absent takes the default; empty is a bad value, as an empty limit or cursor is.
        String selected = stream == null ? "all" : stream;
        if (!List.of("all", "key", "usage").contains(selected)) {
            throw new ProblemException(400, "invalid-stream", "Bad request", "stream must be all, key or usage.");
        }
        int size = PageSize.parse(limit, HistoryEntries.PAGE, HistoryEntries.MAX_PAGE);
        HistoryCursor position = HistoryCursor.parse(after, keyId, selected);
        Instant since = since(fromText, after);
        Ids.require(keyId, Ids.NO_SUCH_KEY);
        boolean withKeyEvents = !selected.equals("usage");
        boolean keyFromStart = withKeyEvents && position.key() == 0 && since == null;
        // One event past the page tells whether more follow. The first page's window also holds the creation.
        List<DomainEventMessage<?>> start = windows.read(keyId, 0, keyFromStart ? size + 1 : 1);
        owned(PastStates.creationIn(start), ctx);
        if (since != null) {
            position = HistoryCursor.since(windows, keyId, selected, since);
        }
        List<DomainEventMessage<?>> keyEvents = !withKeyEvents ? List.of()
                : keyFromStart ? start : HistoryCursor.read(windows, keyId, position.key(), size + 1);
        // The usage stream is the key's own, apart only so that counting never contends with managing the key.
        List<DomainEventMessage<?>> usageEvents = selected.equals("key") ? List.of()
                : HistoryCursor.read(windows, ApiKeyUsageRecordedEvent.streamOf(keyId), position.usage(), size + 1);
        List<HistoryEntry> events = new ArrayList<>();
        int k = 0;
        int u = 0;
        while (events.size() < size && (k < keyEvents.size() || u < usageEvents.size())) {
            boolean fromKey = u == usageEvents.size() || k < keyEvents.size()
                    && !keyEvents.get(k).getTimestamp().isAfter(usageEvents.get(u).getTimestamp());
            DomainEventMessage<?> event = fromKey ? keyEvents.get(k++) : usageEvents.get(u++);
            events.add(entries.entry(event, fromKey ? "key" : "usage", ctx.caller()));
        }
        long nextKey = k == 0 ? position.key() : keyEvents.get(k - 1).getSequenceNumber() + 1;
        long nextUsage = u == 0 ? position.usage() : usageEvents.get(u - 1).getSequenceNumber() + 1;
        return new HistoryResponse(keyId, events, k < keyEvents.size() || u < usageEvents.size(),
                new HistoryCursor(keyId, selected, nextKey, nextUsage).encode());
    }

    /**
     * Where {@code from} begins the listing: null for the start or a cursor's place. A listing begins one way: a cursor
     * resumes one already begun, so the two together are refused rather than one of them ignored. An instant still to
     * come is taken, and begins at the streams' ends: events are stamped by the command side's clock, which may run
     * ahead of this one, so a time a history just showed is never refused.
     */
    private Instant since(String from, String after) {
        if (from == null) {
            return null;
        }
        if (after != null) {
            throw new ProblemException(400, "conflicting-parameters", "Bad request",
                    "from begins a listing and after resumes one; give one of them.");
        }
        Instant since = QueryParameters.instant(from);
        if (since == null) {
            throw QueryParameters.unreadable(List.of("from"));
        }
        return since;
    }
}
