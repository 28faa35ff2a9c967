package io.latchkey.command.rest;

import java.time.Instant;

/** A key's new secret. {@code key} is the plaintext: this response is the only place it ever appears. */
record RotatedKeyResponse(String keyId, String key, String hint, Instant previousKeyValidUntil, long version) {

    /** Spring MVC logs what it writes (at debug and trace): the hint, never the key. */
    @Override
    public String toString() {
        return "RotatedKeyResponse[keyId=" + keyId + ", hint=" + hint + ", previousKeyValidUntil="
                + previousKeyValidUntil + ", version=" + version + "]";
    }
}
