package io.latchkey.edge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One thread's copy of a string's characters as bytes, read eight at a time: what a decision needs of a key id (its
 * 128 bits) and of a request URI (where its path ends, and a hash of that path) costs a few steps a word instead of
 * one a character through {@code String.charAt}. Only strings of characters up to U+00FF are copied, and each of
 * those is its byte, so a copy is exact.
 */
final class Latin1Text {

    static final int CAPACITY = 512;
    private static final VarHandle WORD = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101_0101_0101_0101L;
    private static final long HIGH = 0x8080_8080_8080_8080L;
    private static final int UUID_LENGTH = 36;

    /** Eight bytes past the capacity, so that a word read at any position in the text stays in the array. */
    private final byte[] bytes = new byte[CAPACITY + Long.BYTES];
    private final byte[] key = new byte[UUID_LENGTH];
    /** The URI's length, -1 when none was read. */
    private int length;
    private boolean keyRead;
    /** Set by {@link #findPath}. */
    int pathEnd;
    /** Set by {@link #isUuid}. */
    long uuidHigh;
    long uuidLow;

    /**
     * Copies a key id when it has a UUID's length and a URI when it has at most {@value #CAPACITY} characters (either
     * may be null): both before either is read, so that the copies' stores are done when the words are loaded.
     */
    @SuppressWarnings("deprecation")
    void read(String keyId, String uri) {
        // Deprecated because it keeps each character's low byte only, which is exactly right for characters up to
        // U+00FF; the strings read here come from HTTP headers, whose decoders make one character of each byte.
        length = uri != null && uri.length() <= CAPACITY && isLatin1(uri) ? uri.length() : -1;
        if (length >= 0) {
            uri.getBytes(0, length, bytes, 0);
        }
        keyRead = keyId != null && keyId.length() == UUID_LENGTH && isLatin1(keyId);
        if (keyRead) {
            keyId.getBytes(0, UUID_LENGTH, key, 0);
        }
    }

    /**
     * Whether every character is at most U+00FF, so that its low byte is all of it: a key id of another alphabet whose
     * low bytes spell a UUID is not that UUID. A scan, but one that did not show in a profile of the counting
     * benchmark.
     */
    private static boolean isLatin1(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0xff) {
                return false;
            }
        }
        return true;
    }

    /** Whether a URI was read. */
    boolean hasUri() {
        return length >= 0;
    }

    /** The eight bytes of the URI from {@code at}, the first in the lowest bits. */
    private long word(int at) {
        return (long) WORD.get(bytes, at);
    }

    private long keyWord(int at) {
        return (long) WORD.get(key, at);
    }

    /**
     * Whether the key id read is a UUID's canonical form (lower-case), whose bits it then leaves in {@link #uuidHigh}
     * and {@link #uuidLow}.
     */
    boolean isUuid() {
        if (!keyRead) {
            return false;
        }
        long x = keyWord(8);
        long y = keyWord(16);
        // The four dashes, at 8, 13, 18 and 23.
        long dashes = x & 0xff | (x >>> 40 & 0xff) << 8 | (y >>> 16 & 0xff) << 16 | (y >>> 56) << 24;
        if (dashes != 0x2d2d_2d2dL) {
            return false;
        }
        long a = hex8(keyWord(0));
        long b = hex8(x >>> 8 & 0xffff_ffffL | x >>> 48 << 32 | (y & 0xffff) << 48);
        long c = hex8(y >>> 24 & 0xffff_ffffL | keyWord(24) << 32);
        long d = hex8(keyWord(28));
        uuidHigh = a << 32 | b;
        uuidLow = c << 32 | d;
        return (a | b | c | d) >= 0;
    }

    /**
     * The value of eight lower-case hexadecimal digits, the first in the lowest byte of {@code word}; -1 when a byte
     * is not such a digit.
     */
    static long hex8(long word) {
        // A byte below 0x80 plus these stays below 0x100, so no byte carries into the next; one at or above 0x80
        // fails on its own high bit, whatever it carried.
        long digit = word + 0x50 * ONES & ~(word + 0x46 * ONES);
        long letter = word + 0x1f * ONES & ~(word + 0x19 * ONES);
        if (((digit | letter) & ~word & HIGH) != HIGH) {
            return -1;
        }
        // '0'–'9' are 0x30–0x39 and 'a'–'f' 0x61–0x66: the low four bits, plus nine where bit 6 is set.
        long nibbles = (word & 0x0f * ONES) + (word >>> 6 & ONES) * 9;
        long pairs = (nibbles << 4 | nibbles >>> 8) & 0x00ff_00ff_00ff_00ffL;
        long quads = (pairs << 8 | pairs >>> 16) & 0x0000_ffff_0000_ffffL;
        return (quads << 16 | quads >>> 32) & 0xffff_ffffL;
    }

    /**
     * Finds where the path of the URI read ends, at its first {@code ?} or {@code #}, else at its end ({@link
     * #pathEnd}), and returns a hash of the path: one pass, eight bytes a step.
     */
    int findPath() {
        long hash = 0;
        for (int at = 0; ; at += Long.BYTES) {
            long word = word(at);
            long marks = zeroBytes(word ^ '?' * ONES) | zeroBytes(word ^ '#' * ONES);
            int end = at + (marks == 0 ? Long.BYTES : Long.numberOfTrailingZeros(marks) >>> 3);
            if (marks == 0 && end < length) {
                hash = mix(hash, word);
                continue;
            }
            pathEnd = Math.min(end, length);
            int kept = pathEnd - at;
            // Whole words are mixed in whatever follows them, so that a path hashes the same with a query or without.
            if (kept == Long.BYTES) {
                hash = mix(hash, word);
            }
            long last = kept == 0 || kept == Long.BYTES ? 0 : word & -1L >>> (Long.SIZE - Byte.SIZE * kept);
            return UsageCounter.spread(hash + pathEnd, last);
        }
    }

    private static long mix(long hash, long word) {
        return Long.rotateLeft((hash ^ word) * 0x9e37_79b9_7f4a_7c15L, 31);
    }

    /** Whether the path found is {@code path}'s bytes. */
    boolean pathIs(byte[] path) {
        return Arrays.equals(bytes, 0, pathEnd, path, 0, path.length);
    }

    /** A copy of the path found. */
    byte[] path() {
        return Arrays.copyOf(bytes, pathEnd);
    }

    /** The high bit of the lowest zero byte and possibly of bytes above it, none when there is none. */
    private static long zeroBytes(long word) {
        return word - ONES & ~word & HIGH;
    }
}
