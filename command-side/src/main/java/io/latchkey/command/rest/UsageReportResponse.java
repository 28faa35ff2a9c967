package io.latchkey.command.rest;

/** How a usage report was taken: keys newly recorded, and keys this report had been recorded for already. */
record UsageReportResponse(String edgeId, long batchSequence, int recorded, int duplicates) {
}
