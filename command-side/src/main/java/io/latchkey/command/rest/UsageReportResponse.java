package io.latchkey.command.rest;

import java.util.List;

/**
 * How a usage report was taken: keys newly recorded, keys this report had been recorded for already, and keys refused
 * as invalid (their counts are not recorded; the rest of the report is), the first of them in {@code refusedEntries}
 * with the reason, so that whoever reads the answer or the reporter's log can tell what to mend.
 */
record UsageReportResponse(String edgeId, long batchSequence, int recorded, int duplicates, int refused,
                           List<RefusedEntry> refusedEntries) {

    /**
     * A refused entry: its place in the report's {@code keys} (from 0), its key id where it is one, and why
     * ({@code invalid-key-id}, {@code repeated-key}, {@code minute-out-of-range}, …).
     */
    record RefusedEntry(int index, String keyId, String reason) {
    }
}
