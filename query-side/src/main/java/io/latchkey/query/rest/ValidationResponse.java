package io.latchkey.query.rest;

import io.latchkey.api.RateLimit;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.validator.Decision;
import java.time.Instant;
import java.util.List;

/**
 * The outcome for a key that authenticates: VALID, or INSUFFICIENT_SCOPE for a scope it lacks. With the key's rate
 * limit (its own or its developer's default; null for none) and monthly quota (null for none), so that an edge
 * answering from here limits and counts the request as it would from its own replica; and, for a secret a rotation
 * replaced that is in its grace period, when it stops authenticating (null for a key's current secret).
 */
record ValidationResponse(Decision.Status status, String keyId, String developerId, List<String> scopes,
                          Instant expiresAt, RateLimit rateLimit, Long monthlyQuota, Instant secretValidUntil) {

    static ValidationResponse of(Decision decision, ActiveKeyEntry entry) {
        return new ValidationResponse(decision.status(), decision.keyId(), decision.developerId(), decision.scopes(),
                decision.expiresAt(), entry.rateLimit(), entry.monthlyQuota() == 0 ? null : entry.monthlyQuota(),
                decision.secretValidUntil());
    }
}
