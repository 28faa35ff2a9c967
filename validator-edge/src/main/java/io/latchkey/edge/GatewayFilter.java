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
import java.util.Collections;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The {@link GatewayRoutes} on the service's own port, answered at the head of the servlet filter chain: Spring MVC's
 * dispatch, content negotiation and per-request observation cost several times the decision itself
 * (docs/benchmarks.md). Every other path continues to Spring as usual, unless its URL holds a key: that is refused as
 * on the routes, since Spring's answer (a 404 for an unknown path) would repeat the path.
 */
final class GatewayFilter implements Filter {

    private final GatewayRoutes routes;

    GatewayFilter(GatewayRoutes routes) {
        this.routes = routes;
    }

    @Override
    public void doFilter(ServletRequest servletRequest, ServletResponse servletResponse, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) servletRequest;
        // Tomcat's request thread waits for a limiter's backend; the little left after the reply runs where it arrives.
        CompletionStage<GatewayRoutes.Answer> answered = routes.answer(request.getMethod(), request.getRequestURI(),
                request.getQueryString(), name -> Collections.list(request.getHeaders(name)), Runnable::run, true);
        if (answered == null) {
            Optional<HttpVerdict> keyInUrl = HttpVerdict.keyInUrl(request.getRequestURI(), request.getQueryString());
            if (keyInUrl.isEmpty()) {
                chain.doFilter(request, servletResponse);
                return;
            }
            answered = CompletableFuture.completedFuture(GatewayRoutes.Answer.of(keyInUrl.get()));
        }
        GatewayRoutes.Answer answer = answered.toCompletableFuture().join();
        HttpServletResponse response = (HttpServletResponse) servletResponse;
        answer.headers().forEach(response::setHeader);
        HttpVerdict.write(response, answer.status(), answer.contentType(), answer.body());
    }
}
