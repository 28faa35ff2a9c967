package io.latchkey.query.rest;

import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.Ids;
import io.latchkey.support.web.RequestContext;
import io.latchkey.query.DeveloperProjection;
import io.latchkey.query.DeveloperView;
import io.latchkey.query.KeyProjection;
import io.latchkey.query.KeyUsageProjection;
import io.latchkey.query.KeyView;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /v1/developers/{developerId}} and the developer's keys. */
@RestController
@RequestMapping("/v1/developers/{developerId}")
class DeveloperController {

    private static final int KEYS_PAGE = 100;
    private static final int MAX_KEYS_PAGE = 1_000;

    private final DeveloperProjection developers;
    private final KeyProjection keys;
    private final KeyUsageProjection usage;
    private final Clock clock;

    DeveloperController(DeveloperProjection developers, KeyProjection keys, KeyUsageProjection usage, Clock clock) {
        this.developers = developers;
        this.keys = keys;
        this.usage = usage;
        this.clock = clock;
    }

    @GetMapping
    DeveloperResponse developer(@PathVariable String developerId, RequestContext ctx) {
        return DeveloperResponse.of(find(developerId, ctx));
    }

    /** A page of the developer's keys, newest first. */
    @GetMapping("/keys")
    DeveloperKeysResponse keys(@PathVariable String developerId, @RequestParam(required = false) String limit,
                               @RequestParam(required = false) String after, RequestContext ctx) {
        int size = PageSize.parse(limit, KEYS_PAGE, MAX_KEYS_PAGE);
        KeyListCursor from = KeyListCursor.parse(after);
        DeveloperView developer = find(developerId, ctx);
        List<KeyView> page = new ArrayList<>(keys.ofDeveloper(developer.developerId(),
                from == null ? null : from.createdAt(), from == null ? null : from.keyId(), size + 1));
        boolean more = page.size() > size;
        if (more) {
            page.remove(size);
        }
        Instant now = clock.instant();
        return new DeveloperKeysResponse(developer.developerId(),
                page.stream().map(key -> KeyResponse.of(key, developer.defaultRateLimit(),
                        usage.summary(key.keyId()).orElse(null), now)).toList(),
                more, more ? KeyListCursor.after(page.get(size - 1)).encode() : null);
    }

    /** Another developer answers exactly like one that does not exist, checked before any lookup. */
    private DeveloperView find(String developerId, RequestContext ctx) {
        Ids.require(developerId, Ids.NO_SUCH_DEVELOPER);
        if (!ctx.caller().mayAccess(developerId)) {
            throw ProblemException.notFound(Ids.NO_SUCH_DEVELOPER);
        }
        return developers.find(developerId).orElseThrow(() -> ProblemException.notFound(Ids.NO_SUCH_DEVELOPER));
    }
}
