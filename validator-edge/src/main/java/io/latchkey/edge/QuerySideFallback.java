package io.latchkey.edge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latchkey.api.RateLimit;
import io.latchkey.validator.Decision;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the query side's {@code POST /v1/validate} while this edge's replica is incomplete. Fails closed: an
 * unreachable, slow or confused query side yields no decision, and the edge then refuses with 503. Such failures are
 * counted by reason ({@code latchkey_fallback_failures_total}) and logged ({@link FailureLog}): while the fallback
 * fails, an edge out of service refuses everything, which an operator must be able to tell from the fallback working.
 *
 * <p>A query side that takes connections but does not answer in time (frozen, overloaded) would hold every request
 * that needs the fallback for the whole timeout, and with them the gateway's threads. So after a timeout the fallback
 * pauses for {@link #PAUSE}: calls then get no decision at once (counted as {@code paused}), and once it is over one
 * call at a time tries the query side again until one is answered or fails otherwise; another timeout pauses again.
 */
final class QuerySideFallback {

    private static final Logger log = LoggerFactory.getLogger(QuerySideFallback.class);
    /** As long as a call waits for an answer: a request arriving meanwhile would have waited as long in vain. */
    static final Duration PAUSE = Duration.ofSeconds(1);
    private static final Duration TIMEOUT = PAUSE;

    private final URI validateUrl;
    private final String token;
    private final AtomicBoolean warnedOfNoLimits = new AtomicBoolean();
    private final ObjectMapper json;
    private final EdgeMetrics metrics;
    private final FailureLog failures = new FailureLog(log, System::currentTimeMillis);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(250)).build();
    private final LongSupplier nanoTime;
    /** Set by a timeout, cleared by any other outcome of a call. */
    private volatile boolean paused;
    /** When the pause ends, on {@link #nanoTime}. */
    private volatile long pausedUntil;
    /** Whether a call tries the query side after a pause: the others still get no decision at once. */
    private final AtomicBoolean probing = new AtomicBoolean();

    /** {@code token}: the usage token, or the operator token where none is set apart, which the query side asks for. */
    QuerySideFallback(URI validateUrl, String token, ObjectMapper json, EdgeMetrics metrics) {
        this(validateUrl, token, json, metrics, System::nanoTime);
    }

    /** {@code nanoTime}: the clock a pause is measured on. */
    QuerySideFallback(URI validateUrl, String token, ObjectMapper json, EdgeMetrics metrics, LongSupplier nanoTime) {
        this.validateUrl = validateUrl;
        this.token = token;
        this.json = json;
        this.metrics = metrics;
        this.nanoTime = nanoTime;
    }

    URI url() {
        return validateUrl;
    }

    /**
     * The query side's decision, with the key's limits as it found them, for this edge's limiters to apply
     * ({@code rateLimit} null and {@code monthlyQuota} 0 for none, also from a query side that sends neither).
     */
    record Answer(Decision decision, RateLimit rateLimit, long monthlyQuota) {
    }

    /** The query side's answer, or empty when it cannot give one. */
    Optional<Answer> validate(String key, String requiredScope) {
        boolean probe = false;
        if (paused) {
            if (nanoTime.getAsLong() - pausedUntil < 0 || !probing.compareAndSet(false, true)) {
                metrics.fallbackFailed("paused");
                return Optional.empty();
            }
            probe = true;
        }
        try {
            return called(key, requiredScope);
        } finally {
            if (probe) {
                probing.set(false);
            }
        }
    }

    private Optional<Answer> called(String key, String requiredScope) {
        try {
            Map<String, String> body = requiredScope == null ? Map.of("key", key) : Map.of("key", key, "scope", requiredScope);
            HttpResponse<String> response = HttpAnswers.within(http, HttpRequest.newBuilder(validateUrl)
                    .timeout(TIMEOUT)
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)))
                    .build(), HttpResponse.BodyHandlers.ofString(), TIMEOUT);
            if (response.statusCode() == 422) {
                gotThrough();
                throw new IllegalArgumentException("the query side refused the required scope");
            }
            if (response.statusCode() == 401 || response.statusCode() == 403) {
                return failed("refused", "The query side at {} refused this edge's token ({}): set the same "
                        + "latchkey.usage.token on the edges and the query side; until then requests that need the "
                        + "fallback are answered 503", validateUrl, response.statusCode());
            }
            if (response.statusCode() != 200) {
                return failed("status", "The query side at {} answered the fallback {} ({}); requests that need the "
                        + "fallback are answered 503 meanwhile", validateUrl, response.statusCode(),
                        switch (response.statusCode()) {
                            case 503 -> "its own replica is not current, as while it replays the event log";
                            case 404, 405 -> "is latchkey.edge.fallback-url the query side's /v1/validate?";
                            default -> "the query side or a proxy before it failed";
                        });
            }
            Optional<Answer> answer = decision(json.readTree(response.body()));
            if (answer.isEmpty()) {
                return unreadable();
            }
            gotThrough();
            return answer;
        } catch (JsonProcessingException garbled) {
            return unreadable();
        } catch (IOException unreachable) {
            if (HttpAnswers.late(unreachable)) {
                return failed("timeout", "The query side at {} did not answer the fallback in time ({}); requests "
                        + "that need the fallback are answered 503 meanwhile", validateUrl,
                        FailureLog.cause(unreachable));
            }
            return failed("unreachable", "The fallback cannot reach the query side at {} ({}): check "
                    + "latchkey.edge.fallback-url and that the query side is up; requests that need the fallback are "
                    + "answered 503 meanwhile", validateUrl, FailureLog.cause(unreachable));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Why the fallback fails now and since when, or null while it answers (or was never asked). */
    FailureLog.Failing failing() {
        return failures.failing();
    }

    private void gotThrough() {
        paused = false;
        failures.gotThrough("The query side at {} answers the fallback again, after {} failed calls", validateUrl);
    }

    private Optional<Answer> unreadable() {
        return failed("unreadable", "The query side at {} answered the fallback with a decision this edge cannot read "
                + "(another release?); requests that need the fallback are answered 503", validateUrl);
    }

    private Optional<Answer> failed(String reason, String message, Object... arguments) {
        // Only a query side that took the call and did not answer pauses the fallback: one not reached fails fast.
        if (reason.equals("timeout")) {
            pausedUntil = nanoTime.getAsLong() + PAUSE.toNanos();
            paused = true;
        } else {
            paused = false;
        }
        metrics.fallbackFailed(reason);
        failures.failed(reason, message, arguments);
        return Optional.empty();
    }

    /**
     * Empty for an answer this edge cannot read (a status or time from a newer query side, say): no decision, which is
     * a 503, rather than the refused scope an {@link IllegalArgumentException} means to the caller.
     */
    private Optional<Answer> decision(JsonNode body) {
        try {
            if (!body.path("status").isTextual()) {
                return Optional.empty();
            }
            Decision.Status status = Decision.Status.valueOf(body.path("status").asText());
            List<String> scopes = new ArrayList<>();
            body.path("scopes").forEach(scope -> scopes.add(scope.asText()));
            JsonNode expiresAt = body.path("expiresAt");
            JsonNode secretValidUntil = body.path("secretValidUntil");
            JsonNode quota = body.path("monthlyQuota");
            boolean noQuota = quota.isMissingNode() || quota.isNull();
            if (!noQuota && !(quota.canConvertToExactIntegral() && quota.asLong() > 0)) {
                return Optional.empty();
            }
            Decision decision = new Decision(status, text(body, "keyId"), text(body, "developerId"), scopes,
                    expiresAt.isTextual() ? Instant.parse(expiresAt.asText()) : null, null, null,
                    secretValidUntil.isTextual() ? Instant.parse(secretValidUntil.asText()) : null);
            if (!decision.unauthenticated() && decision.keyId() == null) {
                // The limiters count by key: a key that authenticates without an id cannot be limited.
                return Optional.empty();
            }
            // Only a key that authenticates comes with its limits: a refusal carries none from any release.
            if (!decision.unauthenticated() && quota.isMissingNode() && body.path("rateLimit").isMissingNode()
                    && !warnedOfNoLimits.getAndSet(true)) {
                log.warn("The query side at {} sends no key limits (an older release): requests this edge answers "
                        + "through it are not rate limited or counted against quotas until it is upgraded",
                        validateUrl);
            }
            return Optional.of(new Answer(decision, rateLimit(body.path("rateLimit")), noQuota ? 0 : quota.asLong()));
        } catch (IllegalArgumentException | DateTimeException unreadable) {
            return Optional.empty();
        }
    }

    /** Null for none; an {@link IllegalArgumentException} (no decision) for a limit this edge cannot read. */
    private static RateLimit rateLimit(JsonNode limit) {
        if (limit.isMissingNode() || limit.isNull()) {
            return null;
        }
        JsonNode burst = limit.path("burst");
        if (!limit.path("limit").canConvertToExactIntegral() || !limit.path("periodSeconds").canConvertToExactIntegral()
                || !burst.isMissingNode() && !burst.isNull() && !burst.canConvertToExactIntegral()) {
            throw new IllegalArgumentException("unreadable rate limit");
        }
        return new RateLimit(limit.path("limit").asLong(), limit.path("periodSeconds").asLong(),
                burst.isMissingNode() || burst.isNull() ? null : burst.asLong());
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.path(field);
        return value.isTextual() ? value.asText() : null;
    }
}
