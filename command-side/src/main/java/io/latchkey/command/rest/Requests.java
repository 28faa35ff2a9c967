package io.latchkey.command.rest;

import io.latchkey.api.Scope;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.support.security.CredentialScreen;
import io.latchkey.support.web.ProblemException;
import java.text.Normalizer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Request checks shared by the controllers. Error details name the field, never its value: a caller may have
 * pasted a key anywhere.
 */
final class Requests {

    private static final String ATOM = "[\\p{L}\\p{N}!#$%&'*+/=?^_`{|}~-][\\p{L}\\p{M}\\p{N}!#$%&'*+/=?^_`{|}~-]*";
    private static final String LABEL = "[\\p{L}\\p{N}]([\\p{L}\\p{M}\\p{N}-]*[\\p{L}\\p{M}\\p{N}])?";
    /**
     * A dot-atom local part (RFC 5322; letters of any script too, RFC 6531, with the marks that scripts such as
     * Devanagari or Thai write vowels with, after a letter) and a domain of two or more labels of letters, marks,
     * digits and inner hyphens: an address a mail server takes, not markup or a quoted local part.
     */
    private static final Pattern EMAIL = Pattern.compile(ATOM + "(\\." + ATOM + ")*@" + LABEL + "(\\." + LABEL + ")+");
    private static final Pattern VERSION = Pattern.compile("\"?([0-9]{1,18})\"?");
    private static final int MAX_SCOPES = 50;

    private Requests() {
    }

    static String text(CredentialScreen screen, String value, String field, int maxLength) {
        if (value == null || value.isBlank()) {
            throw ProblemException.invalid(field + " is required.");
        }
        String stripped = value.strip();
        // Code points, so that a character outside the Basic Multilingual Plane (most emoji) counts once, not as the
        // two UTF-16 units Java stores it in.
        if (stripped.codePointCount(0, stripped.length()) > maxLength) {
            throw ProblemException.invalid(field + " must be at most " + maxLength + " characters (Unicode code "
                    + "points: an emoji made of several, such as a family or a flag, counts as several).");
        }
        if (stripped.chars().anyMatch(c -> Character.isISOControl(c) || c == 0x2028 || c == 0x2029)) {
            throw ProblemException.invalid(field + " must not hold control characters (line breaks, tabs, escapes).");
        }
        // A lone surrogate is no character: stored, it would read back as a replacement character or fail to encode.
        if (stripped.codePoints().anyMatch(c -> c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE)) {
            throw ProblemException.invalid(field + " must be valid Unicode text (it holds half of a character).");
        }
        // A right-to-left override makes a name read other than it is wherever it is shown, audit exports included.
        if (stripped.chars().anyMatch(Requests::bidiControl)) {
            throw ProblemException.invalid(field + " must not hold bidirectional controls (U+061C, U+200E, U+200F, "
                    + "U+202A to U+202E, U+2066 to U+2069), which make text display other than it reads.");
        }
        // Shown as nothing, they make two different names look alike; no script needs them (unlike U+200C and U+200D).
        if (stripped.chars().anyMatch(Requests::invisible)) {
            throw ProblemException.invalid(field + " must not hold invisible characters (U+00AD soft hyphen, U+115F, "
                    + "U+1160, U+3164 and U+FFA0 Hangul fillers, U+180E, U+200B zero width space, U+2060 to U+2064, "
                    + "U+206A to U+206F, U+FEFF zero width no-break space, U+FFF9 to U+FFFB).");
        }
        // Spaces, joiners, marks with no letter to sit on, a Braille blank: each alone shows nothing, and a name of
        // them alone is as good as none.
        if (stripped.codePoints().noneMatch(Requests::shown)) {
            throw ProblemException.invalid(field + " must hold at least one visible character.");
        }
        // Text goes into events, which are kept for good: a credential pasted here could never be taken out of them.
        if (screen.appearsIn(stripped)) {
            throw ProblemException.invalid(field + " must not hold an API key or a Latchkey token.");
        }
        // Without its prefix a key's secret reads as plain text, and anyone who read it could put the prefix back.
        if (KeyFormat.holdsBareSecret(stripped)) {
            throw ProblemException.invalid(field + " must not hold 43 or more letters and digits in a row in mixed "
                    + "case, as a key's secret does without its prefix.");
        }
        return stripped;
    }

    private static boolean invisible(int c) {
        return c == 0x00AD || c == 0x115F || c == 0x1160 || c == 0x180E || c == 0x200B || c >= 0x2060 && c <= 0x2064
                || c >= 0x206A && c <= 0x206F || c == 0x3164 || c == 0xFEFF || c == 0xFFA0
                || c >= 0xFFF9 && c <= 0xFFFB;
    }

    /**
     * Whether {@code c} shows by itself: not a space or separator, a format character (joiners, variation selectors
     * among them) or a nonspacing mark, nor the U+2800 Braille blank, a symbol. Controls and the {@link #invisible}
     * characters (the Hangul fillers among them, letters that show nothing) are refused before this is asked.
     */
    private static boolean shown(int c) {
        int type = Character.getType(c);
        return !Character.isWhitespace(c) && !Character.isSpaceChar(c) && type != Character.FORMAT
                && type != Character.NON_SPACING_MARK && c != 0x2800;
    }

    private static boolean bidiControl(int c) {
        return c == 0x061C || c == 0x200E || c == 0x200F || c >= 0x202A && c <= 0x202E || c >= 0x2066 && c <= 0x2069;
    }

    static String email(CredentialScreen screen, String value) {
        String email = text(screen, value, "email", 254);
        // Claims key an address as sent, in any case: its domain in fullwidth letters would claim again an address
        // that reads, and resolves, as one already claimed.
        if (!Normalizer.isNormalized(email, Normalizer.Form.NFKC)) {
            throw ProblemException.invalid("email must be sent in its plain form, as Unicode NFKC normalisation "
                    + "leaves it (no fullwidth or other compatibility characters; accented letters as one character "
                    + "where Unicode has one).");
        }
        if (!EMAIL.matcher(email).matches()) {
            throw ProblemException.invalid("email must be an e-mail address.");
        }
        return email;
    }

    static List<String> scopes(List<String> scopes) {
        if (scopes == null || scopes.isEmpty()) {
            throw ProblemException.invalid("scopes must list at least one scope.");
        }
        if (scopes.size() > MAX_SCOPES) {
            throw ProblemException.invalid("scopes must list at most " + MAX_SCOPES + " scopes.");
        }
        for (int i = 0; i < scopes.size(); i++) {
            try {
                Scope.parse(scopes.get(i));
            } catch (IllegalArgumentException e) {
                // Scope's own message may quote the value; ours does not.
                throw ProblemException.invalid("scopes[" + i + "] is not a scope: expected read, write, admin or "
                        + "<resource>:<read|write|admin>, a resource being 1 to 64 of a-z, 0-9, '.', '_' and '-', "
                        + "starting with a letter or digit.");
            }
        }
        return Scope.canonical(scopes);
    }

    /**
     * An instant a client sent, kept to the millisecond as the read models, the replica and the edges' headers keep
     * it: finer, a renewal could record a change that no view shows.
     */
    static Instant millis(Instant sent) {
        return sent == null ? null : sent.truncatedTo(ChronoUnit.MILLIS);
    }

    /** What a request record's {@code toString} shows of a text: its length, never the text. */
    static String length(String text) {
        return text == null ? "null" : "<" + text.length() + " characters>";
    }

    /** {@code If-Match: "<version>"} (quotes optional) or {@code *}; absent means unconditional. */
    static Long expectedVersion(String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank() || ifMatch.strip().equals("*")) {
            return null;
        }
        Matcher matcher = VERSION.matcher(ifMatch.strip());
        if (!matcher.matches()) {
            throw new ProblemException(400, "invalid-if-match", "Bad request",
                    "If-Match must be a version ETag such as \"3\".");
        }
        return Long.parseLong(matcher.group(1));
    }

    /** The strong ETag of a key's version, as {@code If-Match} expects it back. */
    static String etag(long version) {
        return "\"" + version + "\"";
    }
}
