package io.latchkey.command.rest;

/** Optional body of {@code POST /v1/keys/{keyId}/revoke}. */
record RevokeRequest(String reason) {
}
