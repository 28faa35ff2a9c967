package io.latchkey.query.rest;

import io.latchkey.support.web.ProblemException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Page cursors as clients see them: opaque base64url, so their form can change; 400 for any this side did not write. */
final class Cursors {

    private Cursors() {
    }

    static String encode(String position) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(position.getBytes(StandardCharsets.US_ASCII));
    }

    /** The groups of {@code form} in the decoded cursor; 400 {@code invalid-cursor} when it does not match. */
    static Matcher decode(String cursor, Pattern form) {
        try {
            Matcher matcher = form.matcher(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII));
            if (matcher.matches()) {
                return matcher;
            }
        } catch (IllegalArgumentException e) {
            // Not base64url: answered below like any other cursor this side did not write.
        }
        throw invalid();
    }

    static ProblemException invalid() {
        return new ProblemException(400, "invalid-cursor", "Bad request",
                "after must be the next cursor of an earlier page of this listing.");
    }
}
