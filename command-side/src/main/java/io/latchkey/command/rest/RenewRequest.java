package io.latchkey.command.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * Body of {@code POST /v1/keys/{keyId}/renew}: {@code expiresAt} an instant, or null for a key that never expires. A
 * class rather than a record, to tell the field sent as null from the field missing, which is refused: a client that
 * forgot it must not make its key live for ever.
 */
final class RenewRequest {

    private Instant expiresAt;
    private boolean sent;

    @JsonProperty("expiresAt")
    void expiresAt(Instant value) {
        expiresAt = Requests.millis(value);
        sent = true;
    }

    Instant expiresAt() {
        return expiresAt;
    }

    boolean namesExpiry() {
        return sent;
    }
}
