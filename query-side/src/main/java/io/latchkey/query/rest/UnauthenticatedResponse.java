package io.latchkey.query.rest;

import io.latchkey.validator.Decision;

/**
 * The one answer for every key that does not authenticate, whether unknown, malformed, revoked or expired: telling
 * them apart would confirm to the holder of a stolen key that it once existed.
 */
record UnauthenticatedResponse(Decision.Status status) {

    static final UnauthenticatedResponse INSTANCE = new UnauthenticatedResponse(Decision.Status.NOT_FOUND);
}
