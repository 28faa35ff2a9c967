package io.latchkey.edge;

import io.latchkey.validator.servlet.HttpVerdict;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.NoHandlerFoundException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * A path nothing on the service's port answers is a 404 that never repeats it: Spring's problem would, in its detail
 * and as its {@code instance}, and a path may hold a credential sent to the wrong place (an operator token, a usage
 * token of the user's own form) that no screen can tell from a word. Written as text, so Spring adds no
 * {@code instance} either. Before Spring Boot's problem details, which answer the same exception.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
class UnknownPathAdvice {

    private static final String NOT_FOUND = HttpVerdict.problemJson(404, "not-found", "This port answers "
            + GatewayRoutes.AUTHORIZE + ", " + GatewayRoutes.EXT_AUTHZ + " and the edge's health and metrics under "
            + "/actuator only.");

    @ExceptionHandler({NoResourceFoundException.class, NoHandlerFoundException.class})
    void notFound(HttpServletResponse response) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        HttpVerdict.write(response, 404, HttpVerdict.PROBLEM_JSON, NOT_FOUND);
    }
}
