package io.latchkey.query.rest;

import io.latchkey.query.KeyView;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The last key of a page of a developer's keys, which are listed newest first and by id among equals. */
record KeyListCursor(Instant createdAt, String keyId) {

    private static final Pattern FORM = Pattern.compile("(-?\\d{1,18}):([0-9a-f-]{36})");

    static KeyListCursor after(KeyView key) {
        return new KeyListCursor(key.createdAt(), key.keyId());
    }

    /** {@code null} for none: the listing starts with the newest key. */
    static KeyListCursor parse(String cursor) {
        if (cursor == null) {
            return null;
        }
        Matcher position = Cursors.decode(cursor, FORM);
        return new KeyListCursor(Instant.ofEpochMilli(Long.parseLong(position.group(1))), position.group(2));
    }

    String encode() {
        return Cursors.encode(createdAt.toEpochMilli() + ":" + keyId);
    }
}
