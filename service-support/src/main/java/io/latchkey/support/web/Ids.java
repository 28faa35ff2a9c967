package io.latchkey.support.web;

import java.util.regex.Pattern;

/**
 * Path ids. Every id is server-generated ({@code UUID.randomUUID().toString()}, lowercase, or for a key created with an
 * {@code Idempotency-Key} a UUID of the same form derived from it), so anything else names nothing that could exist: a
 * 404 without touching a store, with the same body as an id that merely is unknown.
 */
public final class Ids {

    public static final String NO_SUCH_DEVELOPER = "No such developer.";
    public static final String NO_SUCH_KEY = "No such key.";
    private static final Pattern ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private Ids() {
    }

    /** True when {@code id} has the form of a server-generated id. */
    public static boolean valid(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** Returns {@code id} when it can name something; otherwise throws the 404 with {@code notFoundDetail}. */
    public static String require(String id, String notFoundDetail) {
        if (!valid(id)) {
            throw ProblemException.notFound(notFoundDetail);
        }
        return id;
    }
}
