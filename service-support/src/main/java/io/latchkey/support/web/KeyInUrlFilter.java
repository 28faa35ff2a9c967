package io.latchkey.support.web;

import io.latchkey.support.security.CredentialScreen;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses a URL holding a key or a token outside {@code /v1/}, as {@link RequestContextFilter} does within it (with a
 * request id): Spring MVC logs an unknown path and repeats it in its 404, and neither may hold a key.
 */
final class KeyInUrlFilter extends OncePerRequestFilter {

    private final CredentialScreen screen;

    KeyInUrlFilter(CredentialScreen screen) {
        this.screen = screen;
    }

    /** As the servlet container matches {@code /v1/*}: on the path it normalised, not as sent ({@code /v1/../x}). */
    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getServletPath();
        return path.equals("/v1") || path.startsWith("/v1/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String keyInUrl = RequestContextFilter.keyInUrl(request, screen);
        if (keyInUrl != null) {
            Problems.write(response, 400, keyInUrl, "Bad request", RequestContextFilter.KEY_IN_URL_DETAIL);
            return;
        }
        chain.doFilter(request, response);
    }
}
