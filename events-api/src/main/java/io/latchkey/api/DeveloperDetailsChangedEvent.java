package io.latchkey.api;

import java.time.Instant;

/**
 * A developer account's name and e-mail address were changed (both as they now are): a correction, or a new
 * contact. Its keys are untouched; the history keeps the details as they were before.
 */
public record DeveloperDetailsChangedEvent(String developerId, String name, String email, Instant changedAt) {
}
