package io.latchkey.query.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.query.DeveloperProjection;
import io.latchkey.query.DeveloperView;
import io.latchkey.query.KeyProjection;
import io.latchkey.query.KeyUsageProjection;
import io.latchkey.query.KeyView;
import io.latchkey.support.events.EventWindows;
import io.latchkey.support.web.Ids;
import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.RequestContext;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.axonframework.eventhandling.DomainEventMessage;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /v1/developers/{developerId}}, the developer's keys, and the account's own history from the event store:
 * its registration and the changes of its default rate limit, which change the effective limit of every key without
 * one of its own and so belong in an audit as much as a key's events do.
 */
@RestController
@RequestMapping(path = "/v1/developers/{developerId}", produces = MediaType.APPLICATION_JSON_VALUE)
class DeveloperController {

    private static final int KEYS_PAGE = 100;
    private static final int MAX_KEYS_PAGE = 1_000;
    private static final String STREAM = "developer";

    private final DeveloperProjection developers;
    private final KeyProjection keys;
    private final KeyUsageProjection usage;
    private final EventWindows windows;
    private final HistoryEntries entries;
    private final Clock clock;
    private final CurrentViews current;

    DeveloperController(DeveloperProjection developers, KeyProjection keys, KeyUsageProjection usage,
                        EventWindows windows, ObjectMapper json, Clock clock, CurrentViews current) {
        this.developers = developers;
        this.keys = keys;
        this.usage = usage;
        this.windows = windows;
        this.entries = new HistoryEntries(json);
        this.clock = clock;
        this.current = current;
    }

    /** The account as the log holds it when the request comes, with its version as the {@code ETag}. */
    @GetMapping
    ResponseEntity<DeveloperResponse> developer(@PathVariable String developerId,
                                                @RequestParam MultiValueMap<String, String> parameters,
                                                RequestContext ctx) {
        QueryParameters.only(parameters, List.of());
        DeveloperView developer = find(developerId, ctx, CurrentViews.Freshness.LATEST);
        return ResponseEntity.ok().eTag("\"" + developer.version() + "\"").body(DeveloperResponse.of(developer));
    }

    /** A page of the developer's keys, newest first. */
    @GetMapping("/keys")
    DeveloperKeysResponse keys(@PathVariable String developerId, @RequestParam(required = false) String limit,
                               @RequestParam(required = false) String after,
                               @RequestParam MultiValueMap<String, String> parameters, RequestContext ctx) {
        QueryParameters.only(parameters, List.of("limit", "after"));
        int size = PageSize.parse(limit, KEYS_PAGE, MAX_KEYS_PAGE);
        ListCursor from = ListCursor.parse(after);
        DeveloperView developer = find(developerId, ctx, CurrentViews.Freshness.EXISTS);
        if (from != null) {
            from.placedAt(keys.find(from.id()).filter(key -> key.developerId().equals(developer.developerId()))
                    .map(KeyView::createdAt).orElse(null));
        }
        ListCursor.Page<KeyView> page = ListCursor.page(keys.ofDeveloper(developer.developerId(),
                        from == null ? null : from.at(), from == null ? null : from.id(), size + 1), size,
                key -> new ListCursor(key.createdAt(), key.keyId()));
        Instant now = clock.instant();
        return new DeveloperKeysResponse(developer.developerId(),
                page.entries().stream().map(key -> KeyResponse.of(key, developer.defaultRateLimit(),
                        usage.summary(key.keyId()).orElse(null), now)).toList(),
                page.more(), page.next());
    }

    /**
     * A page of the account's events, oldest first, read from the event store as a key's history is. A stream that
     * does not start with a developer's registration is some other aggregate's and answers 404 like an unknown id.
     */
    @GetMapping("/history")
    DeveloperHistoryResponse history(@PathVariable String developerId, @RequestParam(required = false) String limit,
                                     @RequestParam(required = false) String after,
                                     @RequestParam MultiValueMap<String, String> parameters, RequestContext ctx) {
        QueryParameters.only(parameters, List.of("limit", "after"));
        int size = PageSize.parse(limit, HistoryEntries.PAGE, HistoryEntries.MAX_PAGE);
        HistoryCursor from = HistoryCursor.parse(after, developerId, STREAM);
        accessible(developerId, ctx);
        // One event past the page tells whether more follow; the first page's window also holds the registration.
        List<DomainEventMessage<?>> page = HistoryCursor.read(windows, developerId, from.key(), size + 1);
        List<DomainEventMessage<?>> first = from.key() == 0 ? page : windows.read(developerId, 0, 1);
        if (!registered(first)) {
            throw ProblemException.notFound(Ids.NO_SUCH_DEVELOPER);
        }
        List<HistoryEntry> events = page.stream().limit(size).map(event -> entries.entry(event, STREAM, ctx.caller()))
                .toList();
        long next = events.isEmpty() ? from.key() : events.get(events.size() - 1).sequence() + 1;
        return new DeveloperHistoryResponse(developerId, events, page.size() > size,
                new HistoryCursor(developerId, STREAM, next, 0).encode());
    }

    /** Another developer answers exactly like one that does not exist, checked before any lookup. */
    private DeveloperView find(String developerId, RequestContext ctx, CurrentViews.Freshness freshness) {
        accessible(developerId, ctx);
        return current.read(developerId, freshness, () -> developers.find(developerId), DeveloperView::version,
                        () -> registered(windows.read(developerId, 0, 1)))
                .orElseThrow(() -> ProblemException.notFound(Ids.NO_SUCH_DEVELOPER));
    }

    private static boolean registered(List<DomainEventMessage<?>> first) {
        return !first.isEmpty() && first.get(0).getPayload() instanceof DeveloperRegisteredEvent;
    }

    private static void accessible(String developerId, RequestContext ctx) {
        Ids.require(developerId, Ids.NO_SUCH_DEVELOPER);
        if (!ctx.caller().mayAccess(developerId)) {
            throw ProblemException.notFound(Ids.NO_SUCH_DEVELOPER);
        }
    }
}
