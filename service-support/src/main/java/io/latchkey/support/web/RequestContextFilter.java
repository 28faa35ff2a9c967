package io.latchkey.support.web;

import io.latchkey.support.security.Caller;
import io.latchkey.support.security.OperatorToken;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Assigns each {@code /v1} request its id and source address and authenticates the caller. Requests without a valid
 * bearer credential are answered 401 here and never reach a controller; public paths skip authentication only.
 */
public class RequestContextFilter extends OncePerRequestFilter {

    public static final String REQUEST_ID_HEADER = "X-Request-Id";
    private static final Pattern SAFE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final String BEARER = "Bearer ";

    private final OperatorToken operatorToken;
    private final List<String> publicPaths;

    public RequestContextFilter(OperatorToken operatorToken, List<String> publicPaths) {
        this.operatorToken = operatorToken;
        this.publicPaths = List.copyOf(publicPaths);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String presentedId = request.getHeader(REQUEST_ID_HEADER);
        String requestId = presentedId != null && SAFE_REQUEST_ID.matcher(presentedId).matches()
                ? presentedId : UUID.randomUUID().toString();
        response.setHeader(REQUEST_ID_HEADER, requestId);

        Caller caller = authenticate(request.getHeader("Authorization"));
        if (caller == null && !publicPaths.contains(request.getRequestURI())) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"latchkey\"");
            Problems.write(response, 401, "unauthorized", "Unauthorized",
                    "A valid operator token is required as 'Authorization: Bearer <token>'.");
            return;
        }
        request.setAttribute(RequestContext.ATTRIBUTE,
                new RequestContext(caller == null ? new Caller("anonymous") : caller, requestId, request.getRemoteAddr()));
        chain.doFilter(request, response);
    }

    private Caller authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        return operatorToken.matches(authorization.substring(BEARER.length()).strip()) ? Caller.OPERATOR : null;
    }
}
