package io.latchkey.api;

import java.time.Instant;

/**
 * A key received a new secret under the same key id. The previous secret keeps working until
 * {@code previousSecretValidUntil}, then stops everywhere.
 */
public record ApiKeyRotatedEvent(String keyId, String secretHash, String hint, String previousSecretHash,
                                 Instant previousSecretValidUntil, Instant rotatedAt) {
}
