package io.latchkey.query.rest;

import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.query.KeyUsageProjection;
import io.latchkey.query.KeyView;
import java.time.Instant;
import java.util.List;

/**
 * A key as clients see it: everything but its secret hash. {@code rateLimit} is the key's own limit,
 * {@code effectiveRateLimit} the one edges apply (its own, else its developer's default, else none).
 * {@code lastUsedAt} is the time of the last decision any edge reported for it.
 */
record KeyResponse(String keyId, String developerId, String name, String hint, List<String> scopes, KeyStatus status,
                   Instant createdAt, Instant expiresAt, Instant rotatedAt, Instant previousKeyValidUntil,
                   Instant revokedAt, String revocationReason, RateLimit rateLimit, RateLimit effectiveRateLimit,
                   QuotaStatus quota, Instant lastUsedAt, long version) {

    static KeyResponse of(KeyView view, RateLimit developerDefault, KeyUsageProjection.Summary usage, Instant now) {
        return new KeyResponse(view.keyId(), view.developerId(), view.name(), view.hint(), view.scopes(),
                view.statusAt(now), view.createdAt(), view.expiresAt(), view.rotatedAt(), view.previousKeyEnds(),
                view.revokedAt(), view.revocationReason(), view.rateLimit(),
                view.effectiveRateLimit(developerDefault),
                QuotaStatus.of(view.monthlyQuota(), usage, now), usage == null ? null : usage.lastUsedAt(),
                view.version());
    }
}
