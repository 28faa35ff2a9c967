package io.latchkey.validator.servlet;

/**
 * Where a client may put its key: {@code Authorization: Bearer <key>} or {@code X-API-Key: <key>}, one of them.
 * Shared by the edge service and the servlet filter, so both read credentials the same way.
 *
 * @param key       the presented key, or null when none was sent
 * @param ambiguous true when both headers carry a value: refused rather than guessing which one counts
 */
public record PresentedKey(String key, boolean ambiguous) {

    private static final String BEARER = "Bearer ";

    public static PresentedKey from(String authorization, String apiKey) {
        String bearer = authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
                ? authorization.substring(BEARER.length()).strip() : null;
        return new PresentedKey(bearer != null ? bearer : apiKey, bearer != null && apiKey != null);
    }

    /** Keys in URLs leak into logs, histories and referrers; a query string that carries one is refused. */
    public static boolean inQueryString(String queryString) {
        return queryString != null && queryString.contains("lk_");
    }
}
