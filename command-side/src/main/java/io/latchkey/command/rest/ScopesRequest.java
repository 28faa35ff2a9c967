package io.latchkey.command.rest;

import java.util.List;

/** Body of {@code PUT /v1/keys/{keyId}/scopes}. */
record ScopesRequest(List<String> scopes) {
}
