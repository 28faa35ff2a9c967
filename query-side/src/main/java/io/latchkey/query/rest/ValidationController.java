package io.latchkey.query.rest;

import io.latchkey.api.Scope;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.Problems;
import io.latchkey.validator.Decision;
import io.latchkey.validator.KeyValidator;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /v1/validate}: the edges' fallback while their own replica fills. Public, like the edge itself: the
 * presented key is the credential. Answers from this service's replica member, so it refuses (503) until that
 * replica is complete rather than deny a valid key.
 */
@RestController
class ValidationController {

    private final KeyValidator validator;
    private final KeyHasher hasher;

    ValidationController(KeyValidator validator, KeyHasher hasher) {
        this.validator = validator;
        this.hasher = hasher;
    }

    @PostMapping("/v1/validate")
    ResponseEntity<?> validate(@RequestBody(required = false) ValidateRequest request) {
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
            return notReady();
        }
        Decision decision = validator.validate(request.key(), scope);
        if (decision.unauthenticated()) {
            return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(UnauthenticatedResponse.INSTANCE);
        }
        // The limits come from a second read: an entry gone meanwhile (a merge's guard) would send a key without its
        // limits, which the edge would then not apply.
        ActiveKeyEntry entry = validator.replica().lookup(hasher.hash(request.key()));
        return entry == null ? notReady()
                : ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(ValidationResponse.of(decision, entry));
    }

    private static ResponseEntity<ProblemDetail> notReady() {
        return ResponseEntity.status(503).header(HttpHeaders.RETRY_AFTER, "1")
                .contentType(MediaType.APPLICATION_PROBLEM_JSON).cacheControl(CacheControl.noStore())
                .body(Problems.of(503, "replica-not-ready", "Service unavailable",
                        "The key replica is incomplete or behind the event log; retry shortly."));
    }
}
