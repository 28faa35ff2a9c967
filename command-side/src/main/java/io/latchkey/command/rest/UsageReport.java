package io.latchkey.command.rest;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.List;

/**
 * Body of {@code POST /v1/usage}: one edge's counts since its previous report. An edge sends a report again, with
 * the same {@code edgeId} and {@code batchSequence}, until it is acknowledged. Unlike the bodies people write, it
 * takes fields it does not know: an edge of a later release may send more than this one reads.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record UsageReport(String edgeId, Long batchSequence, List<KeyCounts> keys) {

    /** One key's counts; {@code keyId} is {@code unknown} for decisions about keys that matched none. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record KeyCounts(String keyId, Instant lastUsedAt, List<Count> counts) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Count(Instant minute, String endpoint, String outcome, Long count) {
    }
}
