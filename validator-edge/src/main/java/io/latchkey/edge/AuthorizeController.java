package io.latchkey.edge;

import io.latchkey.validator.Decision;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.servlet.HttpVerdict;
import io.latchkey.validator.servlet.PresentedKey;
import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /authorize}: the key from {@code Authorization: Bearer} or {@code X-API-Key}, the required scope from
 * {@code X-Required-Scope}, decided from the local replica or, while that is incomplete, by the query side
 * ({@link QuerySideFallback}, when configured); answered as {@link HttpVerdict} maps it. 200 with identity headers,
 * 401 for any key that does not authenticate (one body for all of them), 403 for a missing scope, 400 for a request
 * no key could make valid. Every answer is counted for usage ({@link UsageCounter}, when configured) by the endpoint
 * in the gateway's {@code X-Original-URI}.
 */
@RestController
class AuthorizeController {

    static final String KEY_ID = "X-Latchkey-Key-Id";
    static final String DEVELOPER_ID = "X-Latchkey-Developer-Id";
    static final String SCOPES = "X-Latchkey-Scopes";
    private static final MediaType PROBLEM = MediaType.APPLICATION_PROBLEM_JSON;

    private final KeyValidator validator;
    private final Optional<QuerySideFallback> fallback;
    private static final String[] OUTCOMES = outcomes();

    private final EdgeMetrics metrics;
    private final Optional<UsageCounter> usage;

    AuthorizeController(KeyValidator validator, Optional<QuerySideFallback> fallback, EdgeMetrics metrics,
                        Optional<UsageCounter> usage) {
        this.validator = validator;
        this.fallback = fallback;
        this.metrics = metrics;
        this.usage = usage;
    }

    private static String[] outcomes() {
        Decision.Status[] statuses = Decision.Status.values();
        String[] names = new String[statuses.length];
        for (Decision.Status status : statuses) {
            names[status.ordinal()] = status.name().toLowerCase(Locale.ROOT);
        }
        return names;
    }

    @RequestMapping(path = "/authorize", method = {RequestMethod.GET, RequestMethod.HEAD})
    ResponseEntity<?> authorize(HttpServletRequest request,
                                @RequestHeader(name = "Authorization", required = false) String authorization,
                                @RequestHeader(name = "X-API-Key", required = false) String apiKey,
                                @RequestHeader(name = "X-Required-Scope", required = false) String requiredScope) {
        return answer(request, authorization, apiKey, requiredScope, request.getHeader("X-Original-URI"));
    }

    /**
     * The one answer every gateway route gets ({@code /authorize} and {@link ExtAuthzController}), so that statuses,
     * problem bodies and identity headers cannot drift apart between gateways.
     */
    ResponseEntity<?> answer(HttpServletRequest request, String authorization, String apiKey, String requiredScope,
                             String originalUri) {
        HttpVerdict verdict = HttpVerdict.of(request.getQueryString(), PresentedKey.from(authorization, apiKey),
                key -> decide(key, requiredScope));
        usage.ifPresent(counter -> count(counter, verdict, originalUri));
        HttpHeaders headers = new HttpHeaders();
        verdict.headers().forEach(headers::set);
        if (!verdict.allowed()) {
            return ResponseEntity.status(verdict.status()).headers(headers).contentType(PROBLEM)
                    .body(verdict.problemJson());
        }
        Decision decision = verdict.decision();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", decision.status());
        body.put("keyId", decision.keyId());
        body.put("developerId", decision.developerId());
        body.put("scopes", decision.scopes());
        return ResponseEntity.ok().headers(headers)
                .header(KEY_ID, decision.keyId())
                .header(DEVELOPER_ID, decision.developerId())
                .header(SCOPES, String.join(",", decision.scopes()))
                .body(body);
    }

    private static void count(UsageCounter counter, HttpVerdict verdict, String originalUri) {
        Decision decision = verdict.decision();
        counter.record(decision == null ? null : decision.keyId(), originalUri,
                decision == null ? verdict.slug().replace('-', '_') : OUTCOMES[decision.status().ordinal()]);
    }

    /**
     * From the replica while it is current (complete and within the lag bound), else from the query side when one is
     * configured; timed and counted.
     */
    private Optional<Decision> decide(String key, String requiredScope) {
        long started = System.nanoTime();
        boolean fromReplica = validator.isCurrent();
        Optional<Decision> answer = fromReplica
                ? Optional.of(validator.validate(key, requiredScope))
                : fallback.flatMap(f -> f.validate(key, requiredScope));
        answer.ifPresentOrElse(
                d -> metrics.decided(fromReplica ? EdgeMetrics.Source.REPLICA : EdgeMetrics.Source.FALLBACK, d,
                        System.nanoTime() - started),
                metrics::unavailable);
        return answer;
    }
}
