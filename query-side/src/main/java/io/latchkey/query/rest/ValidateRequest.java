package io.latchkey.query.rest;

/** A key to check and, optionally, the scope it must grant. */
record ValidateRequest(String key, String scope) {
}
