package io.latchkey.validator.servlet;

import io.latchkey.api.Scope;
import io.latchkey.validator.Decision;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.UsageRecorder;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Authenticates every request with a key validated in-process, answering denials as {@link HttpVerdict} maps them
 * (503 for a well-formed key while the replica is not current: incomplete, or further behind than its bound); an
 * admitted request continues with its {@link Decision} in the attribute {@link #DECISION}, its answer carrying the
 * RateLimit header fields when a limiter was asked. Made to pass CORS preflights, it lets one through without a key
 * (browsers send it without credentials): only for an application whose CORS handling answers every preflight
 * without running its handlers, as Spring MVC's does. When it starts, it keeps keys out of the container's log
 * ({@link ContainerLogs}): Tomcat logs a request it refuses, a key in its URL too, before the filter sees it.
 *
 * <pre>{@code
 * new KeyAuthenticationFilter(validator, KeyAuthenticationFilter.readWriteScopes("orders"))
 * }</pre>
 */
public final class KeyAuthenticationFilter implements Filter {

    /** Request attribute holding the {@link Decision} of an admitted request. */
    public static final String DECISION = Decision.class.getName();

    private final KeyValidator validator;
    private final Function<HttpServletRequest, String> requiredScope;
    private final boolean passCorsPreflights;
    private final UsageRecorder usage;

    /** @param requiredScope the scope a request needs; null from it means authentication only */
    public KeyAuthenticationFilter(KeyValidator validator, Function<HttpServletRequest, String> requiredScope) {
        this(validator, requiredScope, false);
    }

    /**
     * @param requiredScope      the scope a request needs; null from it means authentication only
     * @param passCorsPreflights whether a CORS preflight passes without a key, to CORS handling that answers it
     *                           without running the application's handlers (Spring MVC's)
     */
    public KeyAuthenticationFilter(KeyValidator validator, Function<HttpServletRequest, String> requiredScope,
                                   boolean passCorsPreflights) {
        this(validator, requiredScope, passCorsPreflights, null);
    }

    /**
     * As the three-argument constructor, with every request answered recorded into {@code usage} (null: none), e.g.
     * {@code io.latchkey.edge.UsageReporting}, so that the keys' usage shows what this service decided.
     */
    public KeyAuthenticationFilter(KeyValidator validator, Function<HttpServletRequest, String> requiredScope,
                                   boolean passCorsPreflights, UsageRecorder usage) {
        this.validator = Objects.requireNonNull(validator, "validator");
        this.requiredScope = Objects.requireNonNull(requiredScope, "requiredScope");
        this.passCorsPreflights = passCorsPreflights;
        this.usage = usage;
    }

    /** GET, HEAD and OPTIONS need {@code read}, other methods {@code write}; on {@code resource} when given. */
    public static Function<HttpServletRequest, String> readWriteScopes(String resource) {
        String prefix = resource == null || resource.isBlank() ? "" : resource + ":";
        Scope.parse(prefix + "read"); // a bad resource name fails here, at start-up, not as a 500 per request
        return request -> prefix + access(request.getMethod());
    }

    /** {@code read} for GET, HEAD and OPTIONS, {@code write} for every other method. */
    public static String access(String method) {
        return switch (method) {
            case "GET", "HEAD", "OPTIONS" -> "read";
            default -> "write";
        };
    }

    /** Before the container takes requests ({@link ContainerLogs}). */
    @Override
    public void init(FilterConfig config) {
        ContainerLogs.protect(ContainerLogs.NONE);
    }

    @Override
    public void doFilter(ServletRequest servletRequest, ServletResponse servletResponse, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) servletRequest;
        HttpServletResponse response = (HttpServletResponse) servletResponse;
        if (passCorsPreflights && isPreflight(request)) {
            chain.doFilter(request, response);
            return;
        }
        HttpVerdict verdict = HttpVerdict.of(request.getRequestURI(), request.getQueryString(),
                PresentedKey.fromAll(Collections.list(request.getHeaders("Authorization")),
                        Collections.list(request.getHeaders("X-API-Key"))),
                // A missing or malformed key is refused without the replica, as the edge refuses it: 401, not 503.
                key -> validator.canDecide(key)
                        ? Optional.of(validator.validate(key, requiredScope.apply(request)))
                        : Optional.empty());
        if (usage != null) {
            verdict.recordIn(usage, request.getRequestURI());
        }
        if (verdict.allowed()) {
            verdict.rateLimitHeaders().forEach(response::setHeader);
            request.setAttribute(DECISION, verdict.decision());
            chain.doFilter(request, response);
            return;
        }
        verdict.writeProblem(response);
    }

    /** As the Fetch standard sends one: OPTIONS, with the origin and the method the actual request will use. */
    private static boolean isPreflight(HttpServletRequest request) {
        return "OPTIONS".equals(request.getMethod()) && request.getHeader("Origin") != null
                && request.getHeader("Access-Control-Request-Method") != null;
    }
}
