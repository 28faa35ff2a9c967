package io.latchkey.command.rest;

import java.util.List;

/** A key's scopes after a change, in canonical form. */
record ScopesResponse(String keyId, List<String> scopes, long version) {
}
