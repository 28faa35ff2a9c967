package io.latchkey.query.rest;

import io.latchkey.query.DeveloperProjection;
import io.latchkey.query.DeveloperView;
import io.latchkey.support.security.Caller;
import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.RequestContext;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /v1/developers}: the accounts, newest first, paged as a developer's keys are; {@code email} finds an
 * account by its address, in any case, where the operator has no id to hand. A developer's admin key sees its own
 * account alone, as it reaches no other anywhere.
 */
@RestController
@RequestMapping(path = "/v1/developers", produces = MediaType.APPLICATION_JSON_VALUE)
class DeveloperListController {

    private static final int PAGE = 100;
    private static final int MAX_PAGE = 1_000;
    private static final int MAX_EMAIL_LENGTH = 254;

    private final DeveloperProjection developers;

    DeveloperListController(DeveloperProjection developers) {
        this.developers = developers;
    }

    @GetMapping
    DeveloperListResponse developers(@RequestParam(required = false) String limit,
                                     @RequestParam(required = false) String after,
                                     @RequestParam MultiValueMap<String, String> parameters, RequestContext ctx) {
        QueryParameters.only(parameters, List.of("limit", "after", "email"));
        int size = PageSize.parse(limit, PAGE, MAX_PAGE);
        ListCursor from = ListCursor.parse(after);
        String email = parameters.getFirst("email");
        // No address holds a control character, and the store fails on a NUL in the pattern it is matched with.
        if (email != null && (email.isBlank() || email.length() > MAX_EMAIL_LENGTH
                || email.chars().anyMatch(Character::isISOControl))) {
            throw new ProblemException(400, "invalid-email", "Bad request",
                    "email must be one e-mail address of at most " + MAX_EMAIL_LENGTH + " characters.");
        }
        Caller caller = ctx.caller();
        // An admin key's page after its own account is empty whatever the cursor: checking it would tell which ids
        // exist.
        if (from != null && caller.isOperator()) {
            from.placedAt(developers.find(from.id()).map(DeveloperView::registeredAt).orElse(null));
        }
        List<DeveloperView> fetched = caller.isOperator()
                ? developers.page(email, from == null ? null : from.at(), from == null ? null : from.id(), size + 1)
                : developers.find(caller.developerId())
                        .filter(own -> from == null && (email == null || own.email().equalsIgnoreCase(email)))
                        .map(List::of).orElse(List.of());
        ListCursor.Page<DeveloperView> page = ListCursor.page(fetched, size,
                developer -> new ListCursor(developer.registeredAt(), developer.developerId()));
        return new DeveloperListResponse(page.entries().stream().map(DeveloperResponse::of).toList(), page.more(),
                page.next());
    }
}
