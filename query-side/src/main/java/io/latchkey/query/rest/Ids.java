package io.latchkey.query.rest;

import io.latchkey.support.web.ProblemException;
import java.util.regex.Pattern;

/** Path ids are canonical UUIDs; anything else names nothing that could exist. */
final class Ids {

    private static final Pattern UUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private Ids() {
    }

    static String require(String id, String what) {
        if (!UUID.matcher(id).matches()) {
            throw notFound(what);
        }
        return id;
    }

    static ProblemException notFound(String what) {
        return ProblemException.notFound("No " + what + " with that id.");
    }
}
