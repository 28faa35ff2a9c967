package io.latchkey.api.secret;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * The stored form of a key secret: a 32-byte digest. Events and read models hold it as 64 lowercase hex characters
 * ({@link #hex()}); in memory it is four longs, so that a replica of a million keys holds 48-byte keys instead of
 * 100-byte strings, and a lookup needs no hex encoding. Equal digests are equal hashes.
 */
public final class KeyHash {

    private static final HexFormat HEX = HexFormat.of();
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final long w0;
    private final long w1;
    private final long w2;
    private final long w3;

    private KeyHash(long w0, long w1, long w2, long w3) {
        this.w0 = w0;
        this.w1 = w1;
        this.w2 = w2;
        this.w3 = w3;
    }

    /** Parses the 64-lowercase-hex form that events and read models hold. */
    public KeyHash(String hex) {
        this(digest(hex));
    }

    private KeyHash(byte[] digest) {
        this((long) LONGS.get(digest, 0), (long) LONGS.get(digest, 8), (long) LONGS.get(digest, 16),
                (long) LONGS.get(digest, 24));
    }

    static KeyHash of(byte[] digest) {
        if (digest.length != 32) {
            throw new IllegalArgumentException("a key hash is 32 bytes");
        }
        return new KeyHash(digest);
    }

    /** The digest's four big-endian words, for compact serialization. */
    public static KeyHash ofWords(long w0, long w1, long w2, long w3) {
        return new KeyHash(w0, w1, w2, w3);
    }

    /** Word {@code index} (0–3) of the digest, big-endian. */
    public long word(int index) {
        return switch (index) {
            case 0 -> w0;
            case 1 -> w1;
            case 2 -> w2;
            case 3 -> w3;
            default -> throw new IndexOutOfBoundsException(index);
        };
    }

    /** The 64 lowercase hex characters events and read models hold. */
    public String hex() {
        byte[] digest = new byte[32];
        LONGS.set(digest, 0, w0);
        LONGS.set(digest, 8, w1);
        LONGS.set(digest, 16, w2);
        LONGS.set(digest, 24, w3);
        return HEX.formatHex(digest);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof KeyHash that && w0 == that.w0 && w1 == that.w1 && w2 == that.w2 && w3 == that.w3;
    }

    /** A digest's bits are uniform already: any 32 of them make a good hash code. */
    @Override
    public int hashCode() {
        return (int) w0;
    }

    @Override
    public String toString() {
        return hex();
    }

    private static byte[] digest(String hex) {
        if (hex == null || hex.length() != 64
                || !hex.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
            throw new IllegalArgumentException("a key hash is 64 lowercase hex characters");
        }
        return HEX.parseHex(hex);
    }
}
