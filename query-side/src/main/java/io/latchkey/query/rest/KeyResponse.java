package io.latchkey.query.rest;

import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.query.KeyView;
import java.time.Instant;
import java.util.List;

/** A key as clients see it: everything but its secret hash. */
record KeyResponse(String keyId, String developerId, String name, String hint, List<String> scopes, KeyStatus status,
                   Instant createdAt, Instant expiresAt, Instant rotatedAt, Instant previousKeyValidUntil,
                   Instant revokedAt, String revocationReason, RateLimit rateLimit, QuotaStatus quota,
                   long version) {

    static KeyResponse of(KeyView view, Instant now) {
        return new KeyResponse(view.keyId(), view.developerId(), view.name(), view.hint(), view.scopes(),
                view.statusAt(now), view.createdAt(), view.expiresAt(), view.rotatedAt(), view.previousKeyValidUntil(),
                view.revokedAt(), view.revocationReason(), view.rateLimit(),
                QuotaStatus.of(view.monthlyQuota(), now), view.version());
    }
}
