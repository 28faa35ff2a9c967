package io.latchkey.query.rest;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a page of a key's history ends: the next sequence of each of its two streams. Positions, not times, so a page
 * read again answers the same and events appended later come after it; a client that keeps the last cursor resumes
 * there.
 */
record HistoryCursor(long key, long usage) {

    static final HistoryCursor START = new HistoryCursor(0, 0);
    private static final Pattern FORM = Pattern.compile("k(\\d{1,18})u(\\d{1,18})");

    /** {@link #START} for none. */
    static HistoryCursor parse(String cursor) {
        if (cursor == null) {
            return START;
        }
        Matcher position = Cursors.decode(cursor, FORM);
        return new HistoryCursor(Long.parseLong(position.group(1)), Long.parseLong(position.group(2)));
    }

    String encode() {
        return Cursors.encode("k" + key + "u" + usage);
    }
}
