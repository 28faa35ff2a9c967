package io.latchkey.edge;

import io.latchkey.validator.servlet.HttpVerdict;
import io.latchkey.validator.servlet.PresentedKey;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
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
        if (GatewayRoutes.isRoute(request.getRequestURI()) && bodyTooLarge(request)) {
            // As the gateway listener answers. Sent before Tomcat reads the rest of the body to discard it (up to its
            // max-swallow-size), and then closes the connection, as it does after any 413.
            HttpServletResponse response = (HttpServletResponse) servletResponse;
            write(response, GatewayRoutes.TOO_LARGE);
            response.flushBuffer();
            return;
        }
        // Tomcat's request thread waits for a limiter's backend; the little left after the reply runs where it arrives.
        CompletionStage<GatewayRoutes.Answer> answered = routes.answer(request.getMethod(), request.getRequestURI(),
                request.getQueryString(), name -> Collections.list(request.getHeaders(name)), Runnable::run, true);
        if (answered == null) {
            String path = request.getRequestURI();
            // Past the gateway routes (whose paths are the clients' own) a key's secret without its prefix is one too:
            // Spring's 404 would repeat it.
            Optional<HttpVerdict> keyInUrl = HttpVerdict.keyInUrl(path, request.getQueryString())
                    .or(() -> PresentedKey.holdsBareSecret(path) ? Optional.of(HttpVerdict.keyInPath())
                            : Optional.empty());
            if (keyInUrl.isEmpty()) {
                chain.doFilter(request, servletResponse);
                return;
            }
            answered = CompletableFuture.completedFuture(GatewayRoutes.Answer.of(keyInUrl.get()));
        }
        write((HttpServletResponse) servletResponse, answered.toCompletableFuture().join());
    }

    /**
     * A body over the routes' limit: declared, or read up to one byte past it when its length is not declared
     * (chunked, or a protocol without the header). A request without a body ends at once, and is read no further.
     */
    private static boolean bodyTooLarge(HttpServletRequest request) throws IOException {
        long declared = request.getContentLengthLong();
        if (declared >= 0) {
            return declared > GatewayRoutes.MAX_BODY;
        }
        InputStream body = request.getInputStream();
        return body.read() >= 0 && body.readNBytes(GatewayRoutes.MAX_BODY).length == GatewayRoutes.MAX_BODY;
    }

    private static void write(HttpServletResponse response, GatewayRoutes.Answer answer) throws IOException {
        answer.headers().forEach(response::setHeader);
        HttpVerdict.write(response, answer.status(), answer.contentType(), answer.body());
    }
}
