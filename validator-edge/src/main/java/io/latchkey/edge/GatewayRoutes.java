package io.latchkey.edge;

import io.latchkey.api.Scope;
import io.latchkey.validator.Decision;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.servlet.HttpVerdict;
import io.latchkey.validator.servlet.KeyAuthenticationFilter;
import io.latchkey.validator.servlet.PresentedKey;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The gateway routes, whichever HTTP server carries them ({@link GatewayFilter} on the service's port,
 * {@link GatewayServer} on the gateway port), so that statuses, problem bodies and identity headers cannot drift
 * apart between them or between gateways.
 *
 * <p>{@code GET|HEAD /authorize} (nginx {@code auth_request} and the like): the key from {@code Authorization: Bearer}
 * or {@code X-API-Key}, the required scope from {@code X-Required-Scope}, the endpoint counted for usage from
 * {@code X-Original-URI}.
 *
 * <p>{@code /ext-authz/<client path>} with any method: Envoy's {@code ext_authz} filter in HTTP service mode
 * ({@code docs/gateways/envoy.yaml}). The required scope is {@code X-Required-Scope} when Envoy's
 * {@code headers_to_add} sets one; otherwise {@code read} for GET, HEAD and OPTIONS and {@code write} for every other
 * method, on the resource named by {@code X-Latchkey-Resource} when Envoy sets that. Envoy never forwards either header
 * from a client; it lets the request through on 200 alone, copying the identity headers to the upstream, and hands any
 * other answer to the client as it is.
 *
 * <p>Routes are matched on the path as sent, before any normalisation: a check for
 * {@code /ext-authz/..;/actuator/health} is answered here and never by the health endpoint, whose 200 Envoy would take
 * for an allow ({@code ExtAuthzContractTest} holds this in place).
 *
 * <p>Both answer as {@link HttpVerdict} maps the decision: 200 with identity headers, 401 with one body for any key
 * that does not authenticate, 403 for a missing scope, 429 when limited, 400 for a request no key could make valid.
 * The decision comes from the local replica while it is current, else from the query side ({@link QuerySideFallback},
 * when configured), else 503. Every answer is counted for usage ({@link UsageCounter}, when configured).
 */
final class GatewayRoutes {

    static final String AUTHORIZE = "/authorize";
    static final String EXT_AUTHZ = "/ext-authz";
    static final String KEY_ID = "X-Latchkey-Key-Id";
    static final String DEVELOPER_ID = "X-Latchkey-Developer-Id";
    static final String SCOPES = "X-Latchkey-Scopes";
    /**
     * On a secret a rotation replaced, in its grace period: when it stops authenticating; empty for a key's current
     * secret, so that a gateway which copies the answer's headers over the request's (Envoy) replaces one a client
     * sent.
     */
    static final String SECRET_VALID_UNTIL = "X-Latchkey-Secret-Valid-Until";
    /** The largest body either server takes on a route (gateways send none); a larger one is 413 {@link #TOO_LARGE}. */
    static final int MAX_BODY = 8192;
    static final Answer TOO_LARGE = problem(413, "content-too-large", "The request's body is too large.");

    /** What a route answers, for the server that carries it to write. */
    record Answer(int status, Map<String, String> headers, String contentType, String body) {

        /** A denial as {@link HttpVerdict} answers it: its status, headers and problem body. */
        static Answer of(HttpVerdict denial) {
            return new Answer(denial.status(), denial.headers(), HttpVerdict.PROBLEM_JSON, denial.problemJson());
        }
    }

    private final KeyValidator validator;
    private final Optional<QuerySideFallback> fallback;
    private final EdgeMetrics metrics;
    private final Optional<UsageCounter> usage;

    GatewayRoutes(KeyValidator validator, Optional<QuerySideFallback> fallback, EdgeMetrics metrics,
                  Optional<UsageCounter> usage) {
        this.validator = validator;
        this.fallback = fallback;
        this.metrics = metrics;
        this.usage = usage;
    }

    /**
     * The answer when no thread is free to wait for the query side, which the listener gives without asking the routes:
     * counted as every other unavailable answer, in the metrics and in usage (for no key and no endpoint).
     */
    Answer busy() {
        metrics.unavailable();
        return answer(HttpVerdict.unavailable(), null);
    }

    /** True when answering may wait on another service: the replica is not current and the query side decides. */
    boolean mayWait() {
        return fallback.isPresent() && !validator.isCurrent();
    }

    /**
     * @param path   the request path as sent, without the query
     * @param query  the raw query string, or null
     * @param headers every value a request header was sent with, none when absent
     * @param later   where the answer is made when a limiter waited on its backend (the gateway listener passes the
     *                connection's event loop), rather than on the backend client's own thread
     * @param mayAsk  whether this thread may wait for the query side when the replica is not current; a thread that
     *                may not (an event loop that found the replica current a moment before) answers 503 instead
     * @return the answer, complete at once unless a limiter waits on its backend; null when {@code path} is not a
     * gateway route
     */
    CompletionStage<Answer> answer(String method, String path, String query, Function<String, List<String>> headers,
                                   Executor later, boolean mayAsk) {
        // A repeated header reads as its values joined, as Spring MVC binds it: never one of them picked silently.
        Function<String, String> header = name -> {
            List<String> values = headers.apply(name);
            return values.isEmpty() ? null : String.join(",", values);
        };
        if (isRoute(path, AUTHORIZE)) {
            if (!method.equals("GET") && !method.equals("HEAD")) {
                return CompletableFuture.completedFuture(new Answer(405, Map.of("Allow", "GET, HEAD"),
                        HttpVerdict.PROBLEM_JSON,
                        HttpVerdict.problemJson(405, "method-not-allowed", "/authorize answers GET and HEAD.")));
            }
            // The client's own URL comes in the gateway's X-Original-URI; a key there is refused as in ours. A space
            // keeps the two paths apart: no key spans it.
            String originalUri = header.apply("X-Original-URI");
            String afterPath = PresentedKey.afterPathOf(originalUri);
            String checkedQuery = afterPath == null ? query : query == null ? afterPath : query + "&" + afterPath;
            String checkedPath = originalUri == null ? path : path + " " + PresentedKey.pathOf(originalUri);
            // A blank X-Required-Scope asks for no scope, as an absent one does.
            String requiredScope = header.apply("X-Required-Scope");
            return answer(checkedPath, checkedQuery, headers, Scope.asksNone(requiredScope) ? null : requiredScope,
                    originalUri, later, mayAsk);
        }
        if (isRoute(path, EXT_AUTHZ)) {
            String requiredScope = header.apply("X-Required-Scope");
            String resource = header.apply("X-Latchkey-Resource");
            String access = KeyAuthenticationFilter.access(method);
            // A blank X-Required-Scope counts as absent: the method and the resource decide.
            String scope = !Scope.asksNone(requiredScope) ? requiredScope
                    : resource != null ? resource + ":" + access : access;
            // The check's path is the client's request path under the prefix: the endpoint usage is counted by.
            return answer(path, query, headers, scope, path.substring(EXT_AUTHZ.length()), later, mayAsk);
        }
        return null;
    }

    /** A refusal of the request itself, before any decision: never stored by a cache. */
    static Answer problem(int status, String slug, String detail) {
        return new Answer(status, Map.of("Cache-Control", "no-store"), HttpVerdict.PROBLEM_JSON,
                HttpVerdict.problemJson(status, slug, detail));
    }

    /** Whether {@code path} is one of the gateway routes, which {@link #answer} answers. */
    static boolean isRoute(String path) {
        return isRoute(path, AUTHORIZE) || isRoute(path, EXT_AUTHZ);
    }

    /** The route itself, with or without path parameters ({@code ;...}), or for ext-authz anything beneath it. */
    private static boolean isRoute(String path, String route) {
        if (!path.startsWith(route)) {
            return false;
        }
        if (path.length() == route.length()) {
            return true;
        }
        char next = path.charAt(route.length());
        return next == ';' || (next == '/' && route.equals(EXT_AUTHZ));
    }

    private CompletionStage<Answer> answer(String path, String query, Function<String, List<String>> headers,
                                           String requiredScope, String endpoint, Executor later, boolean mayAsk) {
        return HttpVerdict.ofAsync(path, query,
                PresentedKey.fromAll(headers.apply("Authorization"), headers.apply("X-API-Key")),
                key -> decide(key, requiredScope, later, mayAsk)).thenApply(verdict -> answer(verdict, endpoint));
    }

    private Answer answer(HttpVerdict verdict, String endpoint) {
        usage.ifPresent(counter -> verdict.recordIn(counter.recorder(), endpoint));
        if (!verdict.allowed()) {
            return Answer.of(verdict);
        }
        Map<String, String> answerHeaders = verdict.headers();
        Decision decision = verdict.decision();
        answerHeaders.put(KEY_ID, decision.keyId());
        answerHeaders.put(DEVELOPER_ID, decision.developerId());
        answerHeaders.put(SCOPES, String.join(",", decision.scopes()));
        answerHeaders.put(SECRET_VALID_UNTIL,
                decision.secretValidUntil() == null ? "" : decision.secretValidUntil().toString());
        return new Answer(200, answerHeaders, "application/json", allowedJson(decision));
    }

    private static String allowedJson(Decision decision) {
        StringBuilder json = new StringBuilder(160).append("{\"status\":\"").append(decision.status().name())
                .append("\",\"keyId\":");
        quote(json, decision.keyId()).append(",\"developerId\":");
        quote(json, decision.developerId()).append(",\"scopes\":[");
        List<String> scopes = decision.scopes();
        for (int i = 0; i < scopes.size(); i++) {
            quote(i == 0 ? json : json.append(','), scopes.get(i));
        }
        json.append(']');
        if (decision.secretValidUntil() != null) {
            quote(json.append(",\"secretValidUntil\":"), decision.secretValidUntil().toString());
        }
        return json.append('}').toString();
    }

    /** A JSON string; ids and scopes are validated where they are made, but the body must stay JSON regardless. */
    private static StringBuilder quote(StringBuilder json, String value) {
        if (value == null) {
            return json.append("null");
        }
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                json.append('\\').append(c);
            } else if (c < 0x20) {
                json.append(String.format("\\u%04x", (int) c));
            } else {
                json.append(c);
            }
        }
        return json.append('"');
    }

    /** The query side's decision, limited and counted by this edge's limiters as one from the replica would be. */
    private CompletableFuture<Optional<Decision>> fromQuerySide(String key, String requiredScope, boolean mayAsk) {
        Optional<QuerySideFallback.Answer> asked = mayAsk ? fallback.flatMap(f -> f.validate(key, requiredScope))
                : Optional.empty();
        return asked.isEmpty() ? CompletableFuture.completedFuture(Optional.empty())
                : validator.limitAsync(asked.get().decision(), asked.get().rateLimit(), asked.get().monthlyQuota())
                        .thenApply(Optional::of).toCompletableFuture();
    }

    /**
     * From the replica while it is current (complete and within the lag bound), else from the query side when one is
     * configured; timed and counted. A missing or malformed key needs no replica: the validator refuses it locally.
     */
    private CompletionStage<Optional<Decision>> decide(String key, String requiredScope, Executor later,
                                                      boolean mayAsk) {
        long started = System.nanoTime();
        boolean fromReplica = validator.canDecide(key);
        CompletableFuture<Optional<Decision>> answer = fromReplica
                ? validator.validateAsync(key, requiredScope).thenApply(Optional::of).toCompletableFuture()
                : fromQuerySide(key, requiredScope, mayAsk);
        if (!answer.isDone()) {
            // Off a shared Redis client thread, which serves every decision's reply: the rest is the caller's work, made
            // where the caller says (the gateway's loop, at once when the reply was read there; the servlet filter,
            // which waits anyway, on the thread that completes it).
            answer = answer.thenApplyAsync(decided -> decided, later);
        }
        return answer.thenApply(decided -> {
            decided.ifPresentOrElse(
                    d -> metrics.decided(fromReplica ? EdgeMetrics.Source.REPLICA : EdgeMetrics.Source.FALLBACK, d,
                            System.nanoTime() - started),
                    metrics::unavailable);
            return decided;
        });
    }
}
