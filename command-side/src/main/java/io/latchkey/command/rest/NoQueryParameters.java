package io.latchkey.command.rest;

import io.latchkey.support.web.ProblemException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The command side's routes take their input in the body alone, so a query parameter is refused (400
 * {@code unknown-parameter}) before anything is done: ignored, {@code rotate?gracePeriodSeconds=3600} would end the
 * old secret at once, and {@code revoke?dryRun=true} would revoke. As the query side refuses a parameter its route does
 * not take, without repeating its name, which may be a pasted key.
 */
@Component
class NoQueryParameters implements HandlerInterceptor, WebMvcConfigurer {

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this).addPathPatterns("/v1/**");
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        String query = request.getQueryString();
        if (query != null && !query.isEmpty()) {
            throw new ProblemException(400, "unknown-parameter", "Bad request",
                    "The command side's routes take no query parameters: send what the change needs in its JSON body.");
        }
        return true;
    }
}
