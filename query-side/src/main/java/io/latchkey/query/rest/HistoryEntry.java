package io.latchkey.query.rest;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** One event of a key's stream with who caused it, in which request, from where. */
record HistoryEntry(long sequence, String type, Instant timestamp, String actor, String requestId,
                    String sourceAddress, JsonNode payload) {
}
