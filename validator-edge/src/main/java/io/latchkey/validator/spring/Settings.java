package io.latchkey.validator.spring;

import java.time.Duration;

/**
 * Checks of numeric settings where a service reads them, so that a value that cannot work stops the start naming the
 * setting, rather than starting with a feature silently off (no connection, no query ever admitted) or failing later
 * inside a library that knows no setting's name.
 */
public final class Settings {

    private Settings() {
    }

    /** {@code value}, when it is at least {@code min}. */
    public static int atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
        }
        return value;
    }

    /** {@code value}, when it lies within {@code min} and {@code max}. */
    public static int within(String name, int value, int min, int max) {
        if (value > max) {
            throw new IllegalArgumentException(name + " must be at most " + max + ", got " + value);
        }
        return atLeast(name, value, min);
    }

    /** {@code value}, when it is longer than nothing; null is a setting given empty. */
    public static Duration positive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + (value == null ? "nothing" : value));
        }
        return value;
    }
}
