package io.latchkey.api;

import java.time.Instant;
import java.util.List;

/**
 * A key was issued to a developer. {@code secretHash} is the hex hash of the secret; {@code hint} is a short,
 * non-secret display form. {@code expiresAt} and {@code rateLimit} may be null (never expires, default limit).
 */
public record ApiKeyCreatedEvent(String keyId, String developerId, String name, String secretHash, String hint,
                                 List<String> scopes, Instant createdAt, Instant expiresAt, RateLimit rateLimit) {
}
