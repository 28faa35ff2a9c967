package io.latchkey.command.rest;

/** A key's monthly quota after a change; {@code quota} null when it was removed. */
record QuotaResponse(String keyId, QuotaBody quota, long version) {
}
