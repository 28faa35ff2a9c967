package io.latchkey.validator;

import io.latchkey.api.replica.ActiveKeyEntry;

/**
 * A decision before any limiter is asked, with the replica's entry it was made from: null when the replica holds no
 * entry for the key (or the key was refused before it was looked up), so the key's settings are read once with it.
 */
public record Authentication(Decision decision, ActiveKeyEntry entry) {
}
