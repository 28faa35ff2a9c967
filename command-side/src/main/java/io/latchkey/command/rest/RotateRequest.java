package io.latchkey.command.rest;

/** Optional body of {@code POST /v1/keys/{keyId}/rotate}: how long the current secret keeps working (default 0). */
record RotateRequest(Long gracePeriodSeconds) {
}
