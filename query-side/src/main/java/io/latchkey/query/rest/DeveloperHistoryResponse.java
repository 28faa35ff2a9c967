package io.latchkey.query.rest;

import java.util.List;

/**
 * A page of a developer account's own events, oldest first, with {@code more} and {@code next} as in a key's
 * history.
 */
record DeveloperHistoryResponse(String developerId, List<HistoryEntry> events, boolean more, String next) {
}
