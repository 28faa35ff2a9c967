package io.latchkey.command.rest;

import java.util.List;

/** Body of {@code PUT /v1/keys/{keyId}/scopes}. */
record ScopesRequest(List<String> scopes) {

    /** Spring MVC logs what it reads (at debug and trace): never the text, which may hold a pasted key. */
    @Override
    public String toString() {
        return "ScopesRequest[scopes=" + (scopes == null ? "null" : scopes.size() + " scopes") + "]";
    }
}
