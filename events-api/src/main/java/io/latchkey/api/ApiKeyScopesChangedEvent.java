package io.latchkey.api;

import java.time.Instant;
import java.util.List;

/** The scopes a key grants were replaced. */
public record ApiKeyScopesChangedEvent(String keyId, List<String> scopes, Instant changedAt) {
}
