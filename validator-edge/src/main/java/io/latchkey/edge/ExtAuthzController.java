package io.latchkey.edge;

import io.latchkey.validator.servlet.KeyAuthenticationFilter;
import jakarta.servlet.http.HttpServletRequest;
import java.util.function.Function;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;

/**
 * Envoy's {@code ext_authz} filter in HTTP service mode ({@code docs/gateways/envoy.yaml}). Envoy sends each client
 * request's own method and path, prefixed with {@value #PREFIX}, with an empty body and only the headers its
 * configuration allows. Envoy lets the request through on 200 alone, copying the identity headers to the upstream;
 * any other answer reaches the client as it is, so every answer is {@link AuthorizeController}'s.
 *
 * <p>The required scope: {@code X-Required-Scope} when Envoy's {@code headers_to_add} sets one; otherwise {@code read}
 * for GET, HEAD and OPTIONS and {@code write} for every other method, on the resource named by
 * {@code X-Latchkey-Resource} when Envoy sets that. Envoy never forwards either header from a client.
 *
 * <p>Spring MVC maps a request by its path as sent, dot segments unresolved, so a check for
 * {@code /ext-authz/..;/actuator/health} is answered here and never by the health endpoint, whose 200 Envoy would take
 * for an allow ({@code ExtAuthzContractTest} holds this in place).
 */
@RestController
class ExtAuthzController {

    static final String PREFIX = "/ext-authz";
    private static final Function<HttpServletRequest, String> ACCESS = KeyAuthenticationFilter.readWriteScopes(null);

    private final AuthorizeController authorize;

    ExtAuthzController(AuthorizeController authorize) {
        this.authorize = authorize;
    }

    /** No method listed: Envoy asks with whatever method the client used, WebDAV's and made-up ones included. */
    @RequestMapping(path = {PREFIX, PREFIX + "/**"})
    ResponseEntity<?> check(HttpServletRequest request,
                            @RequestHeader(name = "Authorization", required = false) String authorization,
                            @RequestHeader(name = "X-API-Key", required = false) String apiKey,
                            @RequestHeader(name = "X-Required-Scope", required = false) String requiredScope,
                            @RequestHeader(name = "X-Latchkey-Resource", required = false) String resource) {
        String scope = requiredScope != null ? requiredScope
                : resource != null ? resource + ":" + ACCESS.apply(request) : ACCESS.apply(request);
        // The check's path is the client's request path under the prefix: the endpoint usage is counted by.
        return authorize.answer(request, authorization, apiKey, scope,
                request.getRequestURI().substring(PREFIX.length()));
    }

    /**
     * OPTIONS named on its own: Spring MVC answers OPTIONS itself (200 with an Allow header) for a mapping that does
     * not list it, and Envoy would take that 200 for an allow.
     */
    @RequestMapping(path = {PREFIX, PREFIX + "/**"}, method = RequestMethod.OPTIONS)
    ResponseEntity<?> checkOptions(HttpServletRequest request,
                                   @RequestHeader(name = "Authorization", required = false) String authorization,
                                   @RequestHeader(name = "X-API-Key", required = false) String apiKey,
                                   @RequestHeader(name = "X-Required-Scope", required = false) String requiredScope,
                                   @RequestHeader(name = "X-Latchkey-Resource", required = false) String resource) {
        return check(request, authorization, apiKey, requiredScope, resource);
    }
}
