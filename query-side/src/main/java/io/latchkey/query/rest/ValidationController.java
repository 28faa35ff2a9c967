package io.latchkey.query.rest;

import io.latchkey.api.Scope;
import io.latchkey.support.security.Caller;
import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.RequestContext;
import io.latchkey.support.web.Problems;
import io.latchkey.validator.Authentication;
import io.latchkey.validator.Decision;
import io.latchkey.validator.KeyValidator;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /v1/validate}: the edges' fallback while their own replica fills, for the edges' usage token or the
 * operator token. Not public: a decision made here is counted in no key's usage, so anyone could check a leaked key
 * unseen, and the identities it answers with are no business of another developer's admin key (403). Answers from
 * this service's replica member, so it refuses (503) until that replica is complete rather than deny a valid key.
 */
@RestController
class ValidationController {

    private final KeyValidator validator;

    ValidationController(KeyValidator validator) {
        this.validator = validator;
    }

    @PostMapping("/v1/validate")
    ResponseEntity<?> validate(@RequestBody(required = false) ValidateRequest request, RequestContext ctx) {
        // Anonymous only where an operator made the path public again (latchkey.security.public-paths).
        if (ctx.caller().developerId() != null) {
            throw new ProblemException(403, "edges-only", "Forbidden",
                    "Only edges (the usage token) and the operator validate keys here.");
        }
        if (request == null || request.key() == null || request.key().isBlank()) {
            throw ProblemException.invalid("'key' is required.");
        }
        String scope = Scope.asksNone(request.scope()) ? null : request.scope();
        if (scope != null) {
            try {
                Scope.parse(scope);
            } catch (IllegalArgumentException e) {
                throw ProblemException.invalid("'scope' must be read, write, admin or <resource>:<read|write|admin>.");
            }
        }
        if (!validator.isCurrent()) {
            return ResponseEntity.status(503).header(HttpHeaders.RETRY_AFTER, "1")
                    .contentType(MediaType.APPLICATION_PROBLEM_JSON).cacheControl(CacheControl.noStore())
                    .body(Problems.of(503, "replica-not-ready", "Service unavailable",
                            "The key replica is incomplete or behind the event log; retry shortly."));
        }
        // The limits come from the entry the decision was made from: the edge applies them with its own limiters.
        Authentication authentication = validator.authenticate(request.key(), scope);
        Decision decision = authentication.decision();
        Object answer;
        if (!decision.unauthenticated()) {
            answer = ValidationResponse.of(decision, authentication.entry());
        } else {
            // Named to the callers this route is for; any other (anonymous, where the path is public) is told nothing.
            answer = Caller.EDGE.equals(ctx.caller()) || Caller.OPERATOR.equals(ctx.caller())
                    ? UnauthenticatedResponse.of(decision) : UnauthenticatedResponse.INSTANCE;
        }
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(answer);
    }
}
