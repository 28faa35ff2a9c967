package io.latchkey.query.rest;

import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.query.KeyView;
import io.latchkey.query.PastStates;
import java.time.Instant;
import java.util.List;

/**
 * A key as it stood at {@code asOf}, from its events: what key detail shows of its settings then, with
 * {@code requestsPerMonth} its quota. What edges counted (quota used, last use) is not a setting; the usage route
 * answers it for a range. {@code previousKeyValidUntil} is the end the rotated-out secret had then: a revocation, a
 * rotation without grace or a renewal to an earlier expiry after {@code asOf} may have cut it short.
 */
record KeyAsOfResponse(Instant asOf, String keyId, String developerId, String name, String hint, List<String> scopes,
                       KeyStatus status, Instant createdAt, Instant expiresAt, Instant rotatedAt,
                       Instant previousKeyValidUntil, Instant revokedAt, String revocationReason, RateLimit rateLimit,
                       RateLimit effectiveRateLimit, Long requestsPerMonth, long version) {

    static KeyAsOfResponse of(Instant asOf, PastStates.PastKey past) {
        KeyView view = past.key();
        return new KeyAsOfResponse(asOf, view.keyId(), view.developerId(), view.name(), view.hint(), view.scopes(),
                view.statusAt(asOf), view.createdAt(), view.expiresAt(), view.rotatedAt(), view.previousKeyEnds(),
                view.revokedAt(), view.revocationReason(), view.rateLimit(),
                view.effectiveRateLimit(past.developerDefault()), view.monthlyQuota(),
                view.version());
    }
}
