package io.latchkey.api.secret;

import java.util.HexFormat;

/**
 * The stored form of a key secret: a 32-byte digest, written as 64 lowercase hex characters. This is what events,
 * read models and the replicated map hold instead of the key.
 */
public record KeyHash(String hex) {

    private static final HexFormat HEX = HexFormat.of();

    public KeyHash {
        if (hex == null || hex.length() != 64 || !hex.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
            throw new IllegalArgumentException("a key hash is 64 lowercase hex characters");
        }
    }

    static KeyHash of(byte[] digest) {
        return new KeyHash(HEX.formatHex(digest));
    }

    @Override
    public String toString() {
        return hex;
    }
}
