package io.latchkey.command;

import io.latchkey.api.RateLimit;
import java.time.Instant;
import java.util.List;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * Issues a new key to a developer. It targets the developer's account, so a key can only exist for a registered
 * developer. Carries the secret's hash and display hint, never the secret. {@code expiresAt}, {@code rateLimit} and
 * {@code monthlyQuota} may be null (never expires, default limit, no quota).
 */
public record CreateApiKeyCommand(@TargetAggregateIdentifier String developerId, String keyId, String name,
                                  String secretHash, String hint, List<String> scopes, Instant expiresAt,
                                  RateLimit rateLimit, Long monthlyQuota, Instant now) {
}
