package io.latchkey.validator.servlet;

import io.latchkey.api.secret.KeyFormat;
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
    /** A key's or an operator token's ({@code lkop_}, service-support's {@code OperatorToken}) start, anywhere. */
    private static final Pattern CREDENTIAL_START = Pattern.compile("lk(?:op)?_[a-z0-9]");

    /**
     * A header sent empty (or a bearer without a token) carries no key, whichever of the two it is. A comma, which no
     * key holds, is how a proxy joins a header sent twice: as ambiguous as two headers.
     */
    public static PresentedKey from(String authorization, String apiKey) {
        String bearer = authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
                ? authorization.substring(BEARER.length()).strip() : null;
        String bearerKey = bearer == null || bearer.isEmpty() ? null : bearer;
        String headerKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
        String key = bearerKey != null ? bearerKey : headerKey;
        return new PresentedKey(key, bearerKey != null && headerKey != null || key != null && key.indexOf(',') >= 0);
    }

    /**
     * From every value each header was sent with: a header sent twice is as ambiguous as both headers, and answered
     * the same way, never by picking one of the values. An empty copy (or a bearer without a token) is left out first,
     * as an empty header is beside the other one.
     */
    public static PresentedKey fromAll(List<String> authorization, List<String> apiKey) {
        List<String> authorizations = authorization.size() > 1 ? carryingKeys(authorization, true) : authorization;
        List<String> apiKeys = apiKey.size() > 1 ? carryingKeys(apiKey, false) : apiKey;
        if (authorizations.size() > 1 || apiKeys.size() > 1) {
            return new PresentedKey(null, true);
        }
        return from(authorizations.isEmpty() ? null : authorizations.get(0), apiKeys.isEmpty() ? null : apiKeys.get(0));
    }

    /**
     * The values that are neither empty nor, of {@code Authorization}, a bearer without a token; any other value counts
     * as one sent. The services read their own credentials from what this leaves, as the edge reads keys.
     */
    public static List<String> carryingKeys(List<String> values, boolean authorization) {
        return values.stream()
                .filter(value -> !value.isBlank() && !(authorization && value.strip().equalsIgnoreCase(BEARER.strip())))
                .toList();
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
        // separator (%20, %3D): everything is decoded until no escape is left.
        return KEY_START.matcher(fullyDecoded(queryString).toLowerCase(Locale.ROOT)).find();
    }

    /**
     * Whether text (a log event's, say) holds what may begin a key ({@code lk_} and a letter or digit) or a Latchkey
     * operator token ({@code lkop_}), percent-encoded or not, in any case, whatever comes before it: Tomcat writes a
     * byte it refused as {@code 0xNN}, which may stand right before a key ({@code 0x9clk_live_…}). Words such as
     * {@code bulk_price} match too, which costs only the event that held them.
     */
    public static boolean mentionsCredential(String text) {
        if (text == null) {
            return false;
        }
        String decoded = fullyDecoded(text).toLowerCase(Locale.ROOT);
        return CREDENTIAL_START.matcher(decoded).find();
    }

    /**
     * A key sent as part of a URL's path (a REST-style {@code /keys/lk_live_.../orders}) leaks as one in a query does,
     * and is refused too. Paths hold words like {@code lk_report}, so only a well-formed key counts here: {@code lk_},
     * an environment, and a body whose checksum holds, whatever surrounds it and however it is percent-encoded.
     *
     * @param urlPart a URL's path or query, raw or decoded
     */
    public static boolean holdsKey(String urlPart) {
        if (urlPart == null || !urlPart.contains("lk") && !urlPart.contains("%")) {
            return false;
        }
        String decoded = fullyDecoded(urlPart);
        for (int at = decoded.indexOf(KeyFormat.PREFIX); at >= 0; at = decoded.indexOf(KeyFormat.PREFIX, at + 1)) {
            int environmentEnd = decoded.indexOf('_', at + KeyFormat.PREFIX.length());
            int end = environmentEnd + 1 + KeyFormat.BODY_AND_CHECKSUM_LENGTH;
            if (environmentEnd > 0 && end <= decoded.length() && end - at <= KeyFormat.MAX_LENGTH
                    && KeyFormat.isWellFormed(decoded.substring(at, end))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a URL's part holds, escaped or not, what may be a key's secret without its prefix
     * ({@link KeyFormat#holdsBareSecret}): refused in a path no client chose (a service's own routes), where an answer
     * might repeat it.
     */
    public static boolean holdsBareSecret(String urlPart) {
        return urlPart != null && KeyFormat.holdsBareSecret(fullyDecoded(urlPart));
    }

    /**
     * Percent-decoded until no {@code %XX} is left, as decoding again and again would leave it, in one pass: a decoded
     * character that completes an escape before it ({@code %25} then {@code 41}) is decoded in turn. Linear, where
     * pass after pass is quadratic in a crafted {@code %252525...41}. A byte decodes as the character of that code.
     */
    private static String fullyDecoded(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        StringBuilder decoded = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            decoded.append(text.charAt(i));
            int length = decoded.length();
            while (length >= 3 && decoded.charAt(length - 3) == '%') {
                int high = Character.digit(decoded.charAt(length - 2), 16);
                int low = Character.digit(decoded.charAt(length - 1), 16);
                if (high < 0 || low < 0) {
                    break;
                }
                decoded.setLength(length - 3);
                decoded.append((char) (high * 16 + low));
                length = decoded.length();
            }
        }
        return decoded.toString();
    }

    /** The path of a request URI as a gateway reports it ({@code X-Original-URI}): before its query and fragment. */
    public static String pathOf(String uri) {
        return uri.substring(0, pathEnd(uri));
    }

    /** Where a request URI's path ends: at its first {@code ?} or {@code #}, else at its end. */
    public static int pathEnd(String uri) {
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#') {
                return i;
            }
        }
        return uri.length();
    }

    /**
     * What follows the path of a request URI as a gateway reports it ({@code X-Original-URI}): its query and fragment,
     * where a key is refused as in a query string; null when it has neither. A fragment is no part of a request a
     * browser sends, but other clients may, and a gateway passes it on.
     */
    public static String afterPathOf(String uri) {
        if (uri == null) {
            return null;
        }
        int end = pathEnd(uri);
        return end == uri.length() ? null : uri.substring(end + 1);
    }
}
