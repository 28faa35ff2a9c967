package io.latchkey.query.rest;

import java.util.List;

/**
 * A page of developer accounts, newest first. {@code more}: further accounts follow; {@code next}: then, the cursor to
 * pass as {@code after} for them, else null.
 */
record DeveloperListResponse(List<DeveloperResponse> developers, boolean more, String next) {
}
