package io.latchkey.api;

import java.time.Instant;

/**
 * A key received a new secret under the same key id. The previous secret keeps working until
 * {@code previousSecretValidUntil}, then stops everywhere. Secrets rotated out before it, still in their own grace
 * period, stop at {@code earlierSecretsValidUntil} if that comes sooner: a rotation never lengthens an older secret's
 * life, a retried one does not shorten a grace period already granted, and one without grace ends them all, as
 * after a leak. Events stored before that field existed are read with it at {@code rotatedAt}
 * ({@code RotationUpcaster}), which is when those rotations ended every earlier secret. Since 2026-12-05 both ends are
 * no later than the key's expiry at the rotation, as the rotation answered; events stored before kept the grace's
 * own end, and readers cap those at the expiry the key had then.
 */
public record ApiKeyRotatedEvent(String keyId, String secretHash, String hint, String previousSecretHash,
                                 Instant previousSecretValidUntil, Instant rotatedAt,
                                 Instant earlierSecretsValidUntil) {

    /**
     * Until when the secret a rotation replaced works, given the end of its grace period and the key's expiry (null:
     * none): a secret never outlives its key.
     */
    public static Instant previousSecretEnds(Instant previousSecretValidUntil, Instant keyExpiresAt) {
        return keyExpiresAt != null && keyExpiresAt.isBefore(previousSecretValidUntil) ? keyExpiresAt
                : previousSecretValidUntil;
    }

    /** Until when a secret rotated out before this rotation, which worked until {@code ownEnd}, works after it. */
    public Instant earlierSecretValidUntil(Instant ownEnd) {
        return ownEnd.isAfter(earlierSecretsValidUntil) ? earlierSecretsValidUntil : ownEnd;
    }
}
