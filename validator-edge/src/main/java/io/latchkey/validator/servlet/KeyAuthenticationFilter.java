package io.latchkey.validator.servlet;

import io.latchkey.api.Scope;
import io.latchkey.validator.Decision;
import io.latchkey.validator.KeyValidator;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Objects;
import java.util.function.Function;

/**
 * Authenticates every request with a key validated in-process. 401 (one body for every key that does not
 * authenticate), 403 for a missing scope, 400 for a key in the URL or two keys, 503 while the replica is incomplete;
 * otherwise the request continues with its {@link Decision} in the attribute {@link #DECISION}.
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

    /** @param requiredScope the scope a request needs; null from it means authentication only */
    public KeyAuthenticationFilter(KeyValidator validator, Function<HttpServletRequest, String> requiredScope) {
        this.validator = Objects.requireNonNull(validator, "validator");
        this.requiredScope = Objects.requireNonNull(requiredScope, "requiredScope");
    }

    /** GET, HEAD and OPTIONS need {@code read}, other methods {@code write}; on {@code resource} when given. */
    public static Function<HttpServletRequest, String> readWriteScopes(String resource) {
        String prefix = resource == null || resource.isBlank() ? "" : resource + ":";
        Scope.parse(prefix + "read"); // a bad resource name fails here, at start-up, not as a 500 per request
        return request -> switch (request.getMethod()) {
            case "GET", "HEAD", "OPTIONS" -> prefix + "read";
            default -> prefix + "write";
        };
    }

    @Override
    public void doFilter(ServletRequest servletRequest, ServletResponse servletResponse, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) servletRequest;
        HttpServletResponse response = (HttpServletResponse) servletResponse;
        PresentedKey presented = PresentedKey.from(request.getHeader("Authorization"), request.getHeader("X-API-Key"));
        if (PresentedKey.inQueryString(request.getQueryString()) || presented.ambiguous()) {
            problem(response, 400, "bad-credentials", "Send one key, in the Authorization or X-API-Key header.");
            return;
        }
        if (!validator.replica().isReady()) {
            response.setHeader("Retry-After", "1");
            problem(response, 503, "unavailable", "Key validation is not available yet.");
            return;
        }
        Decision decision = validator.validate(presented.key(), requiredScope.apply(request));
        if (decision.unauthenticated()) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"latchkey\"");
            problem(response, 401, "unauthenticated", "A valid API key is required.");
        } else if (!decision.allowed()) {
            problem(response, 403, "insufficient-scope", "The key lacks the required scope.");
        } else {
            request.setAttribute(DECISION, decision);
            chain.doFilter(request, response);
        }
    }

    private static void problem(HttpServletResponse response, int status, String slug, String detail)
            throws IOException {
        response.setStatus(status);
        response.setHeader("Cache-Control", "no-store");
        response.setContentType("application/problem+json");
        response.getWriter().write("{\"type\":\"https://latchkey.io/problems/" + slug + "\",\"status\":" + status
                + ",\"detail\":\"" + detail + "\"}");
    }
}
