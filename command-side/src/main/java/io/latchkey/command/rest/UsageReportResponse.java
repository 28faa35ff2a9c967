package io.latchkey.command.rest;

/**
 * How a usage report was taken: keys newly recorded, keys this report had been recorded for already, and keys refused
 * as invalid (their counts are not recorded; the rest of the report is).
 */
record UsageReportResponse(String edgeId, long batchSequence, int recorded, int duplicates, int refused) {
}
