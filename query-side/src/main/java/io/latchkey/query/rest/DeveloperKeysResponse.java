package io.latchkey.query.rest;

import java.util.List;

/** A page of a developer's keys, newest first; {@code next}, when more follow, is the cursor to pass as {@code after}. */
record DeveloperKeysResponse(String developerId, List<KeyResponse> keys, String next) {
}
