package io.latchkey.query.rest;

import java.util.List;

/**
 * A page of a developer's keys, newest first. {@code more}: further keys follow; {@code next}: then, the cursor to pass
 * as {@code after} for them, else null (keys created later come first, so there is nothing to resume).
 */
record DeveloperKeysResponse(String developerId, List<KeyResponse> keys, boolean more, String next) {
}
