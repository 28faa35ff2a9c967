package io.latchkey.api;

import java.time.Instant;

/** A developer account was registered by an operator. */
public record DeveloperRegisteredEvent(String developerId, String name, String email, Instant registeredAt) {
}
