package io.latchkey.query.rest;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One event of a key's streams ({@code key}: its lifecycle; {@code usage}: edges' usage reports) or of a developer
 * account's ({@code developer}) with who caused it, in which request (the service's id, and the client's
 * {@code X-Request-Id} if it sent one), from where; {@code sequence} counts within its stream.
 */
record HistoryEntry(String stream, long sequence, String type, Instant timestamp, String actor, String requestId,
                    String clientRequestId, String sourceAddress, JsonNode payload) {
}
