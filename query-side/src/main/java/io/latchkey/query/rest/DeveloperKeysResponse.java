package io.latchkey.query.rest;

import java.util.List;

/** A developer's keys, newest first. */
record DeveloperKeysResponse(String developerId, List<KeyResponse> keys) {
}
