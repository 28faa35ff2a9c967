package io.latchkey.edge;

import io.latchkey.validator.Decision;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.servlet.PresentedKey;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /authorize}: the key from {@code Authorization: Bearer} or {@code X-API-Key}, the required scope from
 * {@code X-Required-Scope}, decided from the local replica or, while that is incomplete, by the query side
 * ({@link QuerySideFallback}, when configured); with neither, 503. 200 with identity headers, 401 for any key that does not authenticate (one body for
 * all of them), 403 for a missing scope, 400 for a request no key could make valid.
 */
@RestController
class AuthorizeController {

    static final String KEY_ID = "X-Latchkey-Key-Id";
    static final String DEVELOPER_ID = "X-Latchkey-Developer-Id";
    static final String SCOPES = "X-Latchkey-Scopes";
    private static final MediaType PROBLEM = MediaType.APPLICATION_PROBLEM_JSON;

    private final KeyValidator validator;
    private final Optional<QuerySideFallback> fallback;
    private final EdgeMetrics metrics;

    AuthorizeController(KeyValidator validator, Optional<QuerySideFallback> fallback, EdgeMetrics metrics) {
        this.validator = validator;
        this.fallback = fallback;
        this.metrics = metrics;
    }

    @RequestMapping(path = "/authorize", method = {RequestMethod.GET, RequestMethod.HEAD})
    ResponseEntity<?> authorize(HttpServletRequest request,
                                @RequestHeader(name = "Authorization", required = false) String authorization,
                                @RequestHeader(name = "X-API-Key", required = false) String apiKey,
                                @RequestHeader(name = "X-Required-Scope", required = false) String requiredScope) {
        if (PresentedKey.inQueryString(request.getQueryString())) {
            return problem(HttpStatus.BAD_REQUEST, "key-in-query",
                    "Keys are accepted only in the Authorization or X-API-Key header, never in a URL.");
        }
        PresentedKey presented = PresentedKey.from(authorization, apiKey);
        if (presented.ambiguous()) {
            return problem(HttpStatus.BAD_REQUEST, "ambiguous-credentials", "Send one key, in one header.");
        }
        String key = presented.key();
        long started = System.nanoTime();
        boolean fromReplica = validator.replica().isReady();
        Optional<Decision> answer;
        try {
            answer = fromReplica
                    ? Optional.of(validator.validate(key, requiredScope))
                    : fallback.flatMap(f -> f.validate(key, requiredScope));
        } catch (IllegalArgumentException invalidScope) {
            return problem(HttpStatus.BAD_REQUEST, "invalid-required-scope", "X-Required-Scope is not a valid scope.");
        }
        answer.ifPresentOrElse(
                d -> metrics.decided(fromReplica ? EdgeMetrics.Source.REPLICA : EdgeMetrics.Source.FALLBACK, d,
                        System.nanoTime() - started),
                metrics::unavailable);
        if (answer.isEmpty()) {
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header("Retry-After", "1")
                    .contentType(PROBLEM).cacheControl(CacheControl.noStore())
                    .body(typed(HttpStatus.SERVICE_UNAVAILABLE, "unavailable", "Key validation is not available yet."));
        }
        Decision decision = answer.get();
        if (decision.unauthenticated()) {
            return ResponseEntity.status(HttpStatus.UNAUTHORIZED)
                    .header("WWW-Authenticate", "Bearer realm=\"latchkey\"")
                    .contentType(PROBLEM).cacheControl(CacheControl.noStore())
                    .body(typed(HttpStatus.UNAUTHORIZED, "unauthenticated", "A valid API key is required."));
        }
        if (decision.status() == Decision.Status.INSUFFICIENT_SCOPE) {
            return problem(HttpStatus.FORBIDDEN, "insufficient-scope", "The key lacks the required scope.");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", decision.status());
        body.put("keyId", decision.keyId());
        body.put("developerId", decision.developerId());
        body.put("scopes", decision.scopes());
        return ResponseEntity.ok()
                .header(KEY_ID, decision.keyId())
                .header(DEVELOPER_ID, decision.developerId())
                .header(SCOPES, String.join(",", decision.scopes()))
                .cacheControl(CacheControl.noStore())
                .body(body);
    }

    private static ResponseEntity<ProblemDetail> problem(HttpStatus status, String slug, String detail) {
        return ResponseEntity.status(status).contentType(PROBLEM).cacheControl(CacheControl.noStore())
                .body(typed(status, slug, detail));
    }

    private static ProblemDetail typed(HttpStatus status, String slug, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create("https://latchkey.io/problems/" + slug));
        return problem;
    }
}
