package io.latchkey.query.rest;

import java.util.List;

/** A key's events, oldest first. */
record HistoryResponse(String keyId, List<HistoryEntry> events) {
}
