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

    /**
     * What Spring's log of the body read shows: its size, not its text. An endpoint may hold what a client pasted into
     * a URL (refused before it is recorded), and a report names up to 10,000 keys.
     */
    @Override
    public String toString() {
        return "UsageReport[edgeId=" + Requests.length(edgeId) + ", batchSequence=" + batchSequence + ", keys="
                + (keys == null ? "null" : "<" + keys.size() + " keys>") + "]";
    }

    /** One key's counts; {@code keyId} is {@code unknown} for decisions about keys that matched none. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record KeyCounts(String keyId, Instant lastUsedAt, List<Count> counts) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Count(Instant minute, String endpoint, String outcome, Long count) {

        @Override
        public String toString() {
            return "Count[minute=" + minute + ", endpoint=" + Requests.length(endpoint) + ", outcome="
                    + Requests.length(outcome) + ", count=" + count + "]";
        }
    }
}
