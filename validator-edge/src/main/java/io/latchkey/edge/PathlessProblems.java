package io.latchkey.edge;

import io.latchkey.validator.servlet.HttpVerdict;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Every failure Spring MVC answers on the service's port (an unknown path, a method or media type a path does not
 * take) is a problem that never repeats the path: Spring's would, in its detail and as its {@code instance}, and a path
 * may hold a credential sent to the wrong place (an operator token, a usage token of the user's own form) that no
 * screen can tell from a word. Written as text, so Spring adds no {@code instance} either; before Spring Boot's
 * problem details, which answer the same exceptions. The gateway routes never reach Spring MVC.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
class PathlessProblems {

    private static final Logger log = LoggerFactory.getLogger(PathlessProblems.class);
    private static final String ANSWERS = "This port answers " + GatewayRoutes.AUTHORIZE + ", "
            + GatewayRoutes.EXT_AUTHZ + " and the edge's health and metrics under /actuator";
    private static final String NOT_FOUND = HttpVerdict.problemJson(404, "not-found", ANSWERS + " only.");

    @ExceptionHandler(Exception.class)
    void problem(Exception e, HttpServletResponse response) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        if (!(e instanceof ErrorResponse refused)) {
            log.error("Unexpected failure", e);
            HttpVerdict.write(response, 500, HttpVerdict.PROBLEM_JSON,
                    HttpVerdict.problemJson(500, "internal", "The request failed unexpectedly."));
            return;
        }
        // Allow, for a 405.
        refused.getHeaders().forEach((name, values) -> values.forEach(value -> response.addHeader(name, value)));
        int status = refused.getStatusCode().value();
        HttpStatus known = HttpStatus.resolve(status);
        HttpVerdict.write(response, status, HttpVerdict.PROBLEM_JSON, status == 404 ? NOT_FOUND
                : HttpVerdict.problemJson(status, known == null ? "error"
                        : known.name().toLowerCase(Locale.ROOT).replace('_', '-'),
                        ANSWERS + "; this request is not one it takes there."));
    }
}
