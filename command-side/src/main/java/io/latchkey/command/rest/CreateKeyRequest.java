package io.latchkey.command.rest;

import java.time.Instant;
import java.util.List;

/**
 * Body of {@code POST /v1/developers/{developerId}/keys}; {@code expiresAt}, {@code rateLimit} and {@code quota} are
 * optional.
 */
record CreateKeyRequest(String name, List<String> scopes, Instant expiresAt, RateLimitBody rateLimit,
                        QuotaBody quota) {

    CreateKeyRequest {
        expiresAt = Requests.millis(expiresAt);
    }

    /** Spring MVC logs what it reads (at debug and trace): never the text, which may hold a pasted key. */
    @Override
    public String toString() {
        return "CreateKeyRequest[name=" + Requests.length(name) + ", scopes="
                + (scopes == null ? "null" : scopes.size() + " scopes") + ", expiresAt=" + expiresAt
                + ", rateLimit=" + rateLimit + ", quota=" + quota + "]";
    }
}
