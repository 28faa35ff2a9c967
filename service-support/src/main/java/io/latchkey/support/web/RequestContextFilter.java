package io.latchkey.support.web;

import io.latchkey.support.security.Caller;
import io.latchkey.support.security.CredentialScreen;
import io.latchkey.support.security.DeveloperKeyAuthenticator;
import io.latchkey.support.security.OperatorToken;
import io.latchkey.support.security.UsageToken;
import io.latchkey.validator.servlet.HttpVerdict;
import io.latchkey.validator.servlet.PresentedKey;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Assigns each {@code /v1} request its id and source address and authenticates the caller: the operator token, the
 * usage token (on the edges' {@code POST /v1/usage} and {@code POST /v1/validate} only), or (when {@code
 * developerKeys} is given) a developer's key with the admin scope. Every credential that does not
 * authenticate gets one and the same 401, whether it is a wrong token or an unknown, revoked or expired key; a key
 * without the admin scope 403; a key presented while this member's replica is not current 503. Such requests never
 * reach a controller, nor does one with a key in its URL (400), nor one whose {@code Accept} refuses JSON (406), nor a
 * body other than JSON in UTF-8 (415), nor one with a query string the container cannot read whole or a path
 * parameter (400), nor one whose body is longer than {@value #MAX_BODY_BYTES} bytes (413), other than a usage
 * report. Public paths skip authentication, except that the operator token is still recognised.
 */
public class RequestContextFilter extends OncePerRequestFilter {

    public static final String REQUEST_ID_HEADER = "X-Request-Id";
    static final String EDGE_UNAUTHORIZED_DETAIL = "A valid usage token (latchkey.usage.token) or operator token is "
            + "required as 'Authorization: Bearer <credential>'.";
    private static final Pattern SAFE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final String BEARER = "Bearer ";
    /** The longest body a request other than a usage report may have. */
    public static final long MAX_BODY_BYTES = 64 * 1024;
    static final String BODY_TOO_LARGE = "body-too-large";
    static final String BODY_TOO_LARGE_DETAIL = "Request bodies may hold at most " + MAX_BODY_BYTES + " bytes.";
    static final String KEY_IN_URL_DETAIL =
            "Keys and tokens are accepted only in the Authorization header, never in a URL.";
    static final String UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type";
    static final String UNSUPPORTED_MEDIA_TYPE_TITLE = "Unsupported media type";
    static final String UNSUPPORTED_MEDIA_TYPE_DETAIL =
            "Request bodies are JSON in UTF-8: send them as 'Content-Type: application/json'.";

    static final String NOT_ACCEPTABLE = "not-acceptable";
    static final String NOT_ACCEPTABLE_DETAIL = "Answers are JSON: send 'Accept: application/json', or no Accept.";
    /** What Tomcat sets on a request whose parameters it could not all read (its {@code Globals}). */
    private static final String PARAMETER_PARSE_FAILED = "org.apache.catalina.parameter_parse_failed";
    private static final String PATH_PARAMETER_DETAIL = "No route takes path parameters (';' in the path): send what "
            + "the request needs in its query or body, as the route documents.";
    private static final String MALFORMED_QUERY_DETAIL = "The query string could not be read: every parameter needs a "
            + "name, and a '%' must begin an escape of two hexadecimal digits (send '%' itself as %25).";

    private final OperatorToken operatorToken;
    private final UsageToken usageToken;
    private final CredentialScreen screen;
    private final DeveloperKeyAuthenticator developerKeys;
    private final List<String> publicPaths;

    /**
     * {@code usageToken} null: edges report usage with the operator token. {@code developerKeys} null: only the
     * tokens authenticate.
     */
    public RequestContextFilter(OperatorToken operatorToken, UsageToken usageToken, CredentialScreen screen,
                                DeveloperKeyAuthenticator developerKeys, List<String> publicPaths) {
        this.operatorToken = operatorToken;
        this.usageToken = usageToken;
        this.screen = screen;
        this.developerKeys = developerKeys;
        this.publicPaths = List.copyOf(publicPaths);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        // The id every event of the request records is the service's: a client's may repeat, or copy another's.
        String requestId = UUID.randomUUID().toString();
        String presentedId = request.getHeader(REQUEST_ID_HEADER);
        String clientRequestId = safeRequestId(presentedId) ? presentedId : null;
        response.setHeader(REQUEST_ID_HEADER, requestId);

        // A key in the URL leaks into logs and histories, so it is refused, as the edge refuses it. Only a well-formed
        // key counts, in the query too: page cursors and names may hold "lk_" and are no key.
        String keyInUrl = keyInUrl(request, screen);
        if (keyInUrl != null) {
            Problems.write(response, 400, keyInUrl, "Bad request", KEY_IN_URL_DETAIL);
            return;
        }

        // Sent twice, the header names no single credential: neither value is taken. An empty copy, or a bearer without
        // a token, carries none and is left out first, as the edge leaves it out.
        List<String> authorization = PresentedKey.carryingKeys(Collections.list(request.getHeaders("Authorization")),
                true);
        String credential = authorization.size() == 1 ? bearer(authorization.get(0)) : null;
        Caller caller = operatorToken.matches(credential) ? Caller.OPERATOR
                : edgeCall(request) && usageToken != null && usageToken.matches(credential) ? Caller.EDGE : null;
        if (caller == null && !publicPaths.contains(request.getRequestURI())) {
            DeveloperKeyAuthenticator.Outcome outcome = credential == null || developerKeys == null
                    ? new DeveloperKeyAuthenticator.Outcome(DeveloperKeyAuthenticator.Verdict.UNAUTHENTICATED, null)
                    : developerKeys.authenticate(credential);
            switch (outcome.verdict()) {
                case AUTHENTICATED -> caller = outcome.caller();
                case FORBIDDEN -> {
                    Problems.write(response, 403, "insufficient-scope", "Forbidden",
                            "The key does not have the admin scope that management calls require.");
                    return;
                }
                case UNAVAILABLE -> {
                    response.setHeader("Retry-After", "1");
                    Problems.write(response, 503, "unavailable", "Service unavailable",
                            "Key authentication is not available: this service's key replica is incomplete or "
                                    + "behind the event log; retry shortly.");
                    return;
                }
                case UNAUTHENTICATED -> {
                    response.setHeader("WWW-Authenticate", "Bearer realm=\"latchkey\"");
                    // The edges' routes take the usage token and refuse admin keys: told so, not sent after a key.
                    Problems.write(response, 401, "unauthorized", "Unauthorized", edgeCall(request)
                            ? EDGE_UNAUTHORIZED_DETAIL : ProblemException.UNAUTHORIZED_DETAIL);
                    return;
                }
            }
        }
        // Spring refuses an Accept that names no JSON, but weighs q=0 as any other weight where RFC 9110 reads it as
        // "not acceptable" (a new key's secret would go to a client that said it takes no JSON), and answers a header
        // it cannot read with an empty 406.
        if (refusesJson(Collections.list(request.getHeaders(HttpHeaders.ACCEPT)))) {
            Problems.write(response, 406, NOT_ACCEPTABLE, "Not Acceptable", NOT_ACCEPTABLE_DETAIL);
            return;
        }
        // Forms and multipart bodies are read by the container, past any limit set on the body's stream; and Spring
        // would read other JSON types (merge-patch, problem) as ours, and JSON in another charset than UTF-8 as sent.
        if (formOrMultipart(request.getContentType()) || hasBody(request) && !json(request.getContentType())) {
            Problems.write(response, 415, UNSUPPORTED_MEDIA_TYPE, UNSUPPORTED_MEDIA_TYPE_TITLE,
                    UNSUPPORTED_MEDIA_TYPE_DETAIL);
            return;
        }
        // A compressed body would be read as the JSON it is not (nothing here decodes it): refused as RFC 9110 allows.
        String encoding = request.getHeader("Content-Encoding");
        if (hasBody(request) && encoding != null && !encoding.isBlank()
                && !encoding.strip().equalsIgnoreCase("identity")) {
            Problems.write(response, 415, UNSUPPORTED_MEDIA_TYPE, UNSUPPORTED_MEDIA_TYPE_TITLE,
                    "A body with a Content-Encoding is not accepted: send it uncompressed.");
            return;
        }
        // The container drops a query parameter it cannot read (a '%' without two hex digits, no name, past its count)
        // and reads the rest: the request would be answered as if it had never been given. Asked only here, once no
        // form body is left for the container to read with the query.
        request.getParameterMap();
        if (request.getAttribute(PARAMETER_PARSE_FAILED) != null) {
            Problems.write(response, 400, "malformed-query", "Bad request", MALFORMED_QUERY_DETAIL);
            return;
        }
        // Tomcat takes ";name=value" out of a path segment before routing, and no route reads it: the request would
        // be answered as if it had never been given (rotate;gracePeriodSeconds=3600 ending the old secret at once).
        if (request.getRequestURI().indexOf(';') >= 0) {
            Problems.write(response, 400, "unknown-parameter", "Bad request", PATH_PARAMETER_DETAIL);
            return;
        }
        // Usage reports name up to 10,000 keys; every other body is a few hundred bytes.
        boolean reportsUsage = reportsUsage(request) && (caller == Caller.EDGE || caller == Caller.OPERATOR);
        if (!reportsUsage && request.getContentLengthLong() > MAX_BODY_BYTES) {
            Problems.write(response, 413, BODY_TOO_LARGE, "Content too large", BODY_TOO_LARGE_DETAIL);
            return;
        }
        request.setAttribute(RequestContext.ATTRIBUTE,
                new RequestContext(caller == null ? Caller.ANONYMOUS : caller, requestId, clientRequestId,
                        request.getRemoteAddr()));
        // A usage report may be of any length, but is UTF-8 as every body is.
        chain.doFilter(new BoundedBody(request, reportsUsage ? Long.MAX_VALUE : MAX_BODY_BYTES), response);
    }

    /**
     * A caller's id is kept when it is short and plain, and holds no credential: it goes into the metadata of every
     * event the request causes, which are kept forever and shown in histories, so one holding a key or the operator
     * token (or a key's secret without its prefix) is left out.
     */
    private boolean safeRequestId(String presented) {
        return presented != null && SAFE_REQUEST_ID.matcher(presented).matches()
                && !screen.holdsAnyCredential(presented);
    }

    private static boolean reportsUsage(HttpServletRequest request) {
        return "POST".equals(request.getMethod()) && UsageToken.PATH.equals(request.getRequestURI());
    }

    /** Read by the container as soon as a parameter is asked for, body or not. */
    private static boolean formOrMultipart(String contentType) {
        return contentType != null && (contentType.regionMatches(true, 0, "multipart/", 0, 10)
                || contentType.regionMatches(true, 0, "application/x-www-form-urlencoded", 0, 33));
    }

    /** Declared with a length, or sent in chunks: another stray type on a request without a body refuses nothing. */
    private static boolean hasBody(HttpServletRequest request) {
        return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
    }

    /** No type (Spring answers a body without one), or {@code application/json} in UTF-8, as RFC 8259 has it. */
    private static boolean json(String contentType) {
        if (contentType == null) {
            return true;
        }
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return type.equalsTypeAndSubtype(MediaType.APPLICATION_JSON)
                    && (type.getCharset() == null || type.getCharset().equals(StandardCharsets.UTF_8));
        } catch (InvalidMediaTypeException | UnsupportedCharsetException | IllegalCharsetNameException unreadable) {
            return false;
        }
    }

    /**
     * True when {@code accept} cannot be read, or the most specific of its ranges that take {@code application/json}
     * (the type itself, {@code application/*}, any type) weighs it q=0, as RFC 9110 12.5.1 reads the weights. One
     * that names no range taking JSON is left to Spring, which refuses it too.
     */
    private static boolean refusesJson(List<String> accept) {
        List<MediaType> ranges;
        try {
            ranges = MediaType.parseMediaTypes(accept);
        } catch (IllegalArgumentException unreadable) {
            return true;
        }
        MediaType closest = null;
        for (MediaType range : ranges) {
            if (range.includes(MediaType.APPLICATION_JSON) && (closest == null
                    || specificity(range) > specificity(closest) || specificity(range) == specificity(closest)
                    && range.getQualityValue() > closest.getQualityValue())) {
                closest = range;
            }
        }
        return closest != null && closest.getQualityValue() == 0;
    }

    /** 0 for any type, 1 for any subtype of one type, 2 for one type and subtype. */
    private static int specificity(MediaType range) {
        return range.isWildcardType() ? 0 : range.isWildcardSubtype() ? 1 : 2;
    }

    /** One of the two calls an edge makes: a usage report, or its fallback validation. */
    private static boolean edgeCall(HttpServletRequest request) {
        return reportsUsage(request)
                || "POST".equals(request.getMethod()) && UsageToken.VALIDATE_PATH.equals(request.getRequestURI());
    }

    private static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        return authorization.substring(BEARER.length()).strip();
    }

    /**
     * {@code key-in-path} or {@code key-in-query} for a URL that holds a well-formed key, or exactly the operator's or
     * the edges' token (credentials of the whole system), else null. A path is also refused for what may be a key's
     * secret without its prefix ({@link PresentedKey#holdsBareSecret}): no route of the services has such a segment,
     * and a 404 would repeat it as the problem's {@code instance}. A query is not, as page cursors may be one.
     */
    static String keyInUrl(HttpServletRequest request, CredentialScreen screen) {
        String path = request.getRequestURI();
        String query = request.getQueryString();
        return PresentedKey.holdsKey(path) || screen.holdsToken(path)
                || PresentedKey.holdsBareSecret(path) ? HttpVerdict.KEY_IN_PATH
                : PresentedKey.holdsKey(query) || screen.holdsToken(query) ? HttpVerdict.KEY_IN_QUERY : null;
    }
}
