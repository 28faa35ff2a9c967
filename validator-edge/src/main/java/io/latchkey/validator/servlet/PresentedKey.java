package io.latchkey.validator.servlet;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where a client may put its key: {@code Authorization: Bearer <key>} or {@code X-API-Key: <key>}, one of them.
 * Shared by the edge service and the servlet filter, so both read credentials the same way.
 *
 * @param key       the presented key, or null when none was sent
 * @param ambiguous true when both headers carry a value: refused rather than guessing which one counts
 */
public record PresentedKey(String key, boolean ambiguous) {

    private static final String BEARER = "Bearer ";
    private static final Pattern KEY_START = Pattern.compile("(?<![a-z0-9])lk_[a-z0-9]");

    public static PresentedKey from(String authorization, String apiKey) {
        String bearer = authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
                ? authorization.substring(BEARER.length()).strip() : null;
        return new PresentedKey(bearer != null ? bearer : apiKey, bearer != null && apiKey != null);
    }

    /**
     * From every value each header was sent with: a header sent twice is as ambiguous as both headers, and answered
     * the same way, never by picking one of the values.
     */
    public static PresentedKey fromAll(List<String> authorization, List<String> apiKey) {
        if (authorization.size() > 1 || apiKey.size() > 1) {
            return new PresentedKey(null, true);
        }
        return from(authorization.isEmpty() ? null : authorization.get(0), apiKey.isEmpty() ? null : apiKey.get(0));
    }

    /**
     * Keys in URLs leak into logs, histories and referrers; a query string that carries one is refused. A key is
     * {@code lk_} and a letter or digit where a word begins, so that {@code sort=bulk_price} is not one.
     */
    public static boolean inQueryString(String queryString) {
        if (queryString == null) {
            return false;
        }
        // Percent-encoded (even repeatedly) and upper-case spellings count too, and so does a key after an encoded
        // separator (%20, %3D): everything is decoded, pass after pass, each one shorter, until nothing changes.
        String query = queryString;
        String previous;
        do {
            previous = query;
            query = percentDecoded(query);
        } while (!query.equals(previous));
        query = query.toLowerCase(Locale.ROOT);
        return KEY_START.matcher(query).find();
    }

    /** Each {@code %XX} as the character of that code (a byte as one character); anything else as it is. */
    private static String percentDecoded(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        StringBuilder decoded = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int high = c == '%' && i + 2 < text.length() ? Character.digit(text.charAt(i + 1), 16) : -1;
            int low = high < 0 ? -1 : Character.digit(text.charAt(i + 2), 16);
            if (low < 0) {
                decoded.append(c);
            } else {
                decoded.append((char) (high * 16 + low));
                i += 2;
            }
        }
        return decoded.toString();
    }

    /** The query of a request URI as a gateway reports it ({@code X-Original-URI}), or null when it has none. */
    public static String queryOf(String uri) {
        if (uri == null) {
            return null;
        }
        int fragment = uri.indexOf('#');
        String beforeFragment = fragment < 0 ? uri : uri.substring(0, fragment);
        int question = beforeFragment.indexOf('?');
        return question < 0 ? null : beforeFragment.substring(question + 1);
    }
}
