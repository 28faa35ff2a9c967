package io.latchkey.command;

import java.time.Instant;

/**
 * What rotating a key did: the version of its rotation event, and until when the secret it replaced works: the grace
 * period's end, or the key's expiry when that comes first (as things stand; a renewal later lets it run to the end).
 */
public record KeyRotation(long version, Instant previousSecretValidUntil) {
}
