package io.latchkey.query.rest;

import io.latchkey.validator.Decision;
import java.time.Instant;
import java.util.List;

/** The outcome for a key that authenticates: VALID, or INSUFFICIENT_SCOPE for a scope it lacks. */
record ValidationResponse(Decision.Status status, String keyId, String developerId, List<String> scopes,
                          Instant expiresAt) {

    static ValidationResponse of(Decision decision) {
        return new ValidationResponse(decision.status(), decision.keyId(), decision.developerId(), decision.scopes(),
                decision.expiresAt());
    }
}
