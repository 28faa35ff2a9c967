package io.latchkey.validator.servlet;

import io.latchkey.validator.Decision;
import io.latchkey.validator.QuotaState;
import io.latchkey.validator.RateLimitState;
import io.latchkey.validator.ReplicaUnavailableException;
import io.latchkey.validator.UsageRecorder;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What a request's credentials earn over HTTP: the one mapping the edge's {@code /authorize} and the servlet filter
 * share, so they can never disagree. 400 for a key in the URL (its query or its path), two keys or an invalid
 * required scope; 503 when nobody could decide; 401 with one body for every key that does not authenticate; 403 for a
 * missing scope; 429 with {@code Retry-After} for a rate-limited key or one whose monthly quota is used up; 200. A
 * decision that went through a rate or quota limiter also carries the IETF RateLimit header fields
 * (draft-ietf-httpapi-ratelimit-headers: {@code RateLimit-Policy} and {@code RateLimit}).
 *
 * @param status   the HTTP status
 * @param slug     the problem type's last segment, or null when allowed
 * @param detail   the problem detail, or null when allowed
 * @param decision the decision, when one was made
 */
public record HttpVerdict(int status, String slug, String detail, Decision decision) {

    public static final String PROBLEM_TYPE_BASE = "https://latchkey.io/problems/";
    public static final String PROBLEM_JSON = "application/problem+json";
    /** The slugs of refusals of a key in the URL's query and in its path. */
    public static final String KEY_IN_QUERY = "key-in-query";
    public static final String KEY_IN_PATH = "key-in-path";
    private static final String AMBIGUOUS_CREDENTIALS = "ambiguous-credentials";
    private static final String INVALID_REQUIRED_SCOPE = "invalid-required-scope";
    private static final String UNAVAILABLE = "unavailable";
    /**
     * What usage counts a refusal made before any decision as ({@link #outcome}): every one there is, for whoever
     * checks the outcomes counted (the command side, of the reports it is sent).
     */
    public static final Set<String> REFUSAL_OUTCOMES = Stream.of(KEY_IN_QUERY, KEY_IN_PATH, AMBIGUOUS_CREDENTIALS,
            INVALID_REQUIRED_SCOPE, UNAVAILABLE).map(HttpVerdict::outcomeOf).collect(Collectors.toUnmodifiableSet());
    private static final String KEY_IN_URL =
            "Keys are accepted only in the Authorization or X-API-Key header, never in a URL.";

    /**
     * What usage counts this answer as: the decision ({@link Decision#usageOutcome}), or the refusal made before any
     * decision, its slug with underscores ({@code key_in_query}, {@code unavailable}, …).
     */
    public String outcome() {
        return decision != null ? decision.usageOutcome() : outcomeOf(slug);
    }

    private static String outcomeOf(String refusalSlug) {
        return refusalSlug.replace('-', '_');
    }

    /**
     * Counts this answer to a request for {@code requestUri} in {@code usage}. A URI whose path carries a key is
     * counted without it, which a counter would otherwise remember for the life of the process (and report with {id}
     * for the key: a key's checksum starts with a digit); one whose query carries a key, without its query.
     */
    public void recordIn(UsageRecorder usage, String requestUri) {
        String counted = KEY_IN_PATH.equals(slug) ? null
                : KEY_IN_QUERY.equals(slug) && requestUri != null ? PresentedKey.pathOf(requestUri) : requestUri;
        usage.record(decision == null ? null : decision.keyId(), outcome(), counted);
    }

    /**
     * @param path        the request's path, without the query
     * @param queryString the request's query, or null
     * @param decide      the decision for the presented key (null when none was sent), empty when nobody could
     *                    decide; may throw {@link IllegalArgumentException} for an invalid required scope (400),
     *                    and {@link ReplicaUnavailableException} once the replica's member has shut down (503)
     */
    public static HttpVerdict of(String path, String queryString, PresentedKey presented,
                                 Function<String, Optional<Decision>> decide) {
        return ofAsync(path, queryString, presented, key -> CompletableFuture.completedFuture(decide.apply(key)))
                .toCompletableFuture().join();
    }

    /**
     * As {@link #of}, for a decision that may complete later (one that waits on a limiter's backend, for a caller that
     * must not block); {@code decide} may throw as {@link #of}'s may.
     */
    public static CompletionStage<HttpVerdict> ofAsync(String path, String queryString, PresentedKey presented,
                                                       Function<String, CompletionStage<Optional<Decision>>> decide) {
        Optional<HttpVerdict> keyInUrl = keyInUrl(path, queryString);
        if (keyInUrl.isPresent()) {
            return CompletableFuture.completedFuture(keyInUrl.get());
        }
        if (presented.ambiguous()) {
            return CompletableFuture.completedFuture(denied(400, AMBIGUOUS_CREDENTIALS,
                    "Send one key, in one header."));
        }
        try {
            return decide.apply(presented.key()).thenApply(HttpVerdict::decided);
        } catch (IllegalArgumentException invalidScope) {
            return CompletableFuture.completedFuture(denied(400, INVALID_REQUIRED_SCOPE,
                    "The required scope is not a valid scope."));
        } catch (ReplicaUnavailableException shutDown) {
            return CompletableFuture.completedFuture(unavailable());
        }
    }

    private static HttpVerdict decided(Optional<Decision> answer) {
        if (answer.isEmpty()) {
            return unavailable();
        }
        Decision decision = answer.get();
        if (decision.unauthenticated()) {
            return new HttpVerdict(401, "unauthenticated", "A valid API key is required.", decision);
        }
        if (decision.status() == Decision.Status.RATE_LIMITED) {
            return new HttpVerdict(429, "rate-limited", "The key's rate limit is exhausted; retry later.", decision);
        }
        if (decision.status() == Decision.Status.QUOTA_EXCEEDED) {
            return new HttpVerdict(429, "quota-exceeded", "The key's monthly quota is used up; it resets next month.",
                    decision);
        }
        if (!decision.allowed()) {
            return new HttpVerdict(403, "insufficient-scope", "The key lacks the required scope.", decision);
        }
        return new HttpVerdict(200, null, null, decision);
    }

    /** 503: nobody could decide (the replica not current and no query side answering, or none free to ask). */
    public static HttpVerdict unavailable() {
        return denied(503, UNAVAILABLE, "Key validation is not available: the key replica here is not current, "
                + "and nothing else could decide the key; retry shortly.");
    }

    /**
     * The refusal of a URL whose path ({@code key-in-path}) or query ({@code key-in-query}) holds a key, decided before
     * any key is looked at; empty for a URL that holds none.
     */
    public static Optional<HttpVerdict> keyInUrl(String path, String queryString) {
        // The path first: a caller that must not keep a path holding a key (the usage counter) learns it by the slug.
        if (PresentedKey.holdsKey(path)) {
            return Optional.of(keyInPath());
        }
        return PresentedKey.inQueryString(queryString) ? Optional.of(denied(400, KEY_IN_QUERY, KEY_IN_URL))
                : Optional.empty();
    }

    /** 400 {@code key-in-path}: nothing is done with a request whose path holds a key. */
    public static HttpVerdict keyInPath() {
        return denied(400, KEY_IN_PATH, KEY_IN_URL);
    }

    private static HttpVerdict denied(int status, String slug, String detail) {
        return new HttpVerdict(status, slug, detail, null);
    }

    public boolean allowed() {
        return status == 200;
    }

    /**
     * Headers every answer carries: never cached, a challenge on 401, a retry hint on 503 and 429, and the rate-limit
     * fields (policy "key" for the rate limit, "month" for the quota) when a limiter was asked.
     */
    public Map<String, String> headers() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Cache-Control", "no-store");
        if (status == 401) {
            headers.put("WWW-Authenticate", "Bearer realm=\"latchkey\"");
        } else if (status == 503) {
            headers.put("Retry-After", "1");
        }
        Decision.Status decided = decision == null ? null : decision.status();
        if (decided == Decision.Status.RATE_LIMITED && decision.rateLimit() != null) {
            headers.put("Retry-After", Long.toString(Math.max(1, decision.rateLimit().retryAfterSeconds())));
        } else if (decided == Decision.Status.QUOTA_EXCEEDED && decision.quota() != null) {
            headers.put("Retry-After", Long.toString(decision.quota().resetSeconds()));
        }
        headers.putAll(rateLimitHeaders());
        return headers;
    }

    /**
     * The IETF RateLimit header fields ({@code RateLimit-Policy} and {@code RateLimit}) of the limiters that were
     * asked, also for an admitted request, whose answer the application makes; none when no limiter was asked.
     */
    public Map<String, String> rateLimitHeaders() {
        List<String> policies = new ArrayList<>();
        List<String> limits = new ArrayList<>();
        RateLimitState limit = decision == null ? null : decision.rateLimit();
        if (limit != null) {
            policies.add("\"key\";q=" + limit.limit() + ";w=" + limit.periodSeconds());
            // A burst above the limit leaves more in the bucket than the policy's quota: never say more remain than q.
            limits.add("\"key\";r=" + Math.min(limit.remaining(), limit.limit()) + ";t=" + limit.resetSeconds());
        }
        QuotaState quota = decision == null ? null : decision.quota();
        if (quota != null) {
            policies.add("\"month\";q=" + quota.requestsPerMonth());
            limits.add("\"month\";r=" + quota.remaining() + ";t=" + quota.resetSeconds());
        }
        Map<String, String> headers = new LinkedHashMap<>();
        if (!policies.isEmpty()) {
            headers.put("RateLimit-Policy", String.join(", ", policies));
            headers.put("RateLimit", String.join(", ", limits));
        }
        return headers;
    }

    /** The RFC 9457 body of a denial; its text is fixed per status, so it tells nothing about the key. */
    public String problemJson() {
        return problemJson(status, slug, detail);
    }

    /**
     * An RFC 9457 body with a fixed text: {@code slug} and {@code detail} are constants, never request data. Titled
     * with the status's reason phrase, as the services' problems and the documented nginx answers are.
     */
    public static String problemJson(int status, String slug, String detail) {
        return "{\"type\":\"" + PROBLEM_TYPE_BASE + slug + "\",\"title\":\"" + title(status) + "\",\"status\":" + status
                + ",\"detail\":\"" + detail + "\"}";
    }

    /** The reason phrase of the statuses the edge answers with (RFC 9110). */
    static String title(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 417 -> "Expectation Failed";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> status >= 500 ? "Server Error" : "Client Error";
        };
    }

    /** Answers a denial: its status, {@link #headers()} and {@link #problemJson()}. */
    public void writeProblem(HttpServletResponse response) throws IOException {
        headers().forEach(response::setHeader);
        write(response, status, PROBLEM_JSON, problemJson());
    }

    /** Writes a whole body with its length, so a kept-alive connection needs no chunked encoding. */
    public static void write(HttpServletResponse response, int status, String contentType, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType(contentType);
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }
}
