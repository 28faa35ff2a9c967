package io.latchkey.query.rest;

import java.util.List;

/**
 * A page of a key's events, oldest first. {@code more}: further events are there now; {@code next}: the cursor to
 * pass as {@code after} for them, or, when there are none yet, for whatever is appended from here on.
 */
record HistoryResponse(String keyId, List<HistoryEntry> events, boolean more, String next) {
}
