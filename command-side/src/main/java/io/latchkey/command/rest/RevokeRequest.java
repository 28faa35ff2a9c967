package io.latchkey.command.rest;

/** Optional body of {@code POST /v1/keys/{keyId}/revoke}. */
record RevokeRequest(String reason) {

    /** Spring MVC logs what it reads (at debug and trace): never the text, which may hold a pasted key. */
    @Override
    public String toString() {
        return "RevokeRequest[reason=" + Requests.length(reason) + "]";
    }
}
