package io.latchkey.command.rest;

import java.time.Instant;

/** A registered developer. */
record DeveloperResponse(String developerId, String name, String email, Instant registeredAt) {
}
