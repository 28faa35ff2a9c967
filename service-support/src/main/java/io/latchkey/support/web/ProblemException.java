package io.latchkey.support.web;

import org.springframework.http.ProblemDetail;

/**
 * An expected failure with its HTTP answer. Messages must never contain a secret: they reach the client and logs.
 */
public class ProblemException extends RuntimeException {

    private final transient ProblemDetail problem;
    private final Integer retryAfterSeconds;

    public ProblemException(int status, String slug, String title, String detail) {
        this(status, slug, title, detail, null);
    }

    /** With {@code Retry-After}: a 429 or 503 that tells the client when asking again may succeed. */
    public ProblemException(int status, String slug, String title, String detail, Integer retryAfterSeconds) {
        super(detail, null, false, false);
        this.problem = Problems.of(status, slug, title, detail);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** What every request that no credential authenticates is told, by the filter or behind it. */
    public static final String UNAUTHORIZED_DETAIL =
            "A valid operator token or admin key is required as 'Authorization: Bearer <credential>'.";

    public static ProblemException unauthorized() {
        return new ProblemException(401, "unauthorized", "Unauthorized", UNAUTHORIZED_DETAIL);
    }

    public static ProblemException invalid(String detail) {
        return new ProblemException(422, "invalid-request", "Invalid request", detail);
    }

    public static ProblemException notFound(String detail) {
        return new ProblemException(404, "not-found", "Not found", detail);
    }

    public static ProblemException conflict(String slug, String detail) {
        return new ProblemException(409, slug, "Conflict", detail);
    }

    public ProblemDetail problem() {
        return problem;
    }

    /** Seconds for {@code Retry-After}, or null for none. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
