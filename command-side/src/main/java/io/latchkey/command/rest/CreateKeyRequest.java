package io.latchkey.command.rest;

import java.time.Instant;
import java.util.List;

/**
 * Body of {@code POST /v1/developers/{developerId}/keys}; {@code expiresAt}, {@code rateLimit} and {@code quota} are
 * optional.
 */
record CreateKeyRequest(String name, List<String> scopes, Instant expiresAt, RateLimitBody rateLimit,
                        QuotaBody quota) {
}
