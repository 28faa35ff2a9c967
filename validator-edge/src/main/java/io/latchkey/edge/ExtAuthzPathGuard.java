package io.latchkey.edge;

import io.latchkey.validator.servlet.HttpVerdict;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.stereotype.Component;

/**
 * Refuses (400) a request sent to {@value ExtAuthzController#PREFIX} whose path, once Tomcat has decoded it, dropped
 * its {@code ;parameters} and resolved its dot segments, lies elsewhere: {@code /ext-authz/..;/actuator/health} would
 * otherwise be answered by the health endpoint, and Envoy would take its 200 for an allow. Envoy's own path
 * normalisation does not treat {@code ..;} as a dot segment, so the edge cannot rely on it.
 */
@Component
class ExtAuthzPathGuard implements Filter {

    private static final String PROBLEM = "{\"type\":\"" + HttpVerdict.PROBLEM_TYPE_BASE
            + "path-outside-ext-authz\",\"status\":400,\"detail\":\"The normalised path leaves "
            + ExtAuthzController.PREFIX + ".\"}";

    @Override
    public void doFilter(ServletRequest servletRequest, ServletResponse servletResponse, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) servletRequest;
        if (request.getRequestURI().startsWith(ExtAuthzController.PREFIX) && !mappedUnderPrefix(request)) {
            HttpServletResponse response = (HttpServletResponse) servletResponse;
            response.setStatus(400);
            response.setHeader("Cache-Control", "no-store");
            response.setContentType("application/problem+json");
            response.getWriter().write(PROBLEM);
            return;
        }
        chain.doFilter(servletRequest, servletResponse);
    }

    /** The path the request is mapped by: decoded, without path parameters, dot segments resolved. */
    private static boolean mappedUnderPrefix(HttpServletRequest request) {
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        return path.equals(ExtAuthzController.PREFIX) || path.startsWith(ExtAuthzController.PREFIX + "/");
    }
}
