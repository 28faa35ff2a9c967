package io.latchkey.query.rest;

import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The last entry of a page of a listing newest first and by id among equals (a developer's keys, the developers): when
 * it was made and its id.
 */
record ListCursor(Instant at, String id) {

    private static final Pattern FORM = Pattern.compile("(-?\\d{1,18}):([0-9a-f-]{36})");

    /** {@code null} for none: the listing starts with the newest entry. */
    static ListCursor parse(String cursor) {
        if (cursor == null) {
            return null;
        }
        Matcher position = Cursors.decode(cursor, FORM);
        return new ListCursor(Instant.ofEpochMilli(Long.parseLong(position.group(1))), position.group(2));
    }

    String encode() {
        return Cursors.encode(at.toEpochMilli() + ":" + id);
    }
}
