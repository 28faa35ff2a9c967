package io.latchkey.query.rest;

import java.time.Instant;
import java.util.List;
import java.util.function.Function;
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

    /**
     * This cursor, when it names the place of an entry of the listing it is given to, made at {@code madeAt} (null:
     * the listing holds no entry of its id); else 400 {@code invalid-cursor}. A cursor of another listing (another
     * developer's keys, say) or a forged one would otherwise start the page at a place this listing never gave.
     */
    ListCursor placedAt(Instant madeAt) {
        if (madeAt == null || madeAt.toEpochMilli() != at.toEpochMilli()) {
            throw Cursors.invalid();
        }
        return this;
    }

    String encode() {
        return Cursors.encode(at.toEpochMilli() + ":" + id);
    }

    /** A page of a listing: its entries, whether more follow, and then the cursor to pass for them (else null). */
    record Page<T>(List<T> entries, boolean more, String next) {
    }

    /**
     * The page of {@code size} in {@code fetched}, which was asked for one entry more: that one tells whether more
     * follow. {@code cursorOf} names an entry's place in the listing.
     */
    static <T> Page<T> page(List<T> fetched, int size, Function<T, ListCursor> cursorOf) {
        boolean more = fetched.size() > size;
        List<T> entries = more ? fetched.subList(0, size) : fetched;
        return new Page<>(entries, more, more ? cursorOf.apply(entries.get(size - 1)).encode() : null);
    }
}
