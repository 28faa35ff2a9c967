package io.latchkey.edge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One thread's copy of a key id and of a request URI's path as bytes, read eight at a time: a key id's 128 bits, and
 * where a path ends and its hash, cost a few steps a word instead of one a character. Only characters up to U+00FF
 * count as read, each being its low byte: a string with another character in the part that matters is refused, so
 * that a lookalike in another alphabet never passes for what its low bytes spell. Nothing past a path is kept: a
 * URI's query may hold a key.
 */
final class Latin1Text {

    /** The longest path read; a URI whose path is longer is refused. */
    static final int CAPACITY = 512;
    private static final VarHandle WORD = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101_0101_0101_0101L;
    private static final long HIGH = 0x8080_8080_8080_8080L;
    private static final int UUID_LENGTH = 36;

    private static final int URI = 128;
    private static final int KEY = URI + CAPACITY + 1 + Long.BYTES;
    private static final int KEY_READ = 16;
    private static final int PATH_END = 17;
    private static final int PATH_HASH = 18;
    private static final int UUID_HIGH = 19;
    private static final int UUID_LOW = 20;

    /**
     * The path and the character after it from {@link #URI}, eight bytes more so that a word read at any position
     * stays inside, then the key id from {@link #KEY}; 128 bytes free on either side. Each counting thread writes its
     * own on every decision, so nothing of another thread's may share a cache line with it (nor the line next to it,
     * which the processor may fetch with it): after a collection copied them side by side, two threads' copies did,
     * and a decision cost twice as much in some runs of two threads.
     */
    private final byte[] bytes = new byte[KEY + UUID_LENGTH + 128];
    /** What a read found, from {@link #KEY_READ} to {@link #UUID_LOW}, between free lines for the same reason. */
    private final long[] found = new long[UUID_LOW + 1 + 16];

    /** Copies a key id (null for none) when it has a UUID's length and only characters up to U+00FF. */
    @SuppressWarnings("deprecation")
    void readKey(String keyId) {
        boolean read = keyId != null && keyId.length() == UUID_LENGTH && isLatin1(keyId, UUID_LENGTH);
        found[KEY_READ] = read ? 1 : 0;
        if (read) {
            // Deprecated because it keeps each character's low byte only: all of a character up to U+00FF.
            keyId.getBytes(0, UUID_LENGTH, bytes, KEY);
        }
    }

    /**
     * Reads the path of {@code uri} (up to its first {@code ?} or {@code #}, else all of it): {@link #pathEnd()} and
     * {@link #pathHash()}, in one pass; false when the path is longer than {@value #CAPACITY} or holds a character past
     * U+00FF.
     */
    @SuppressWarnings("deprecation")
    boolean readPath(String uri) {
        int copied = Math.min(uri.length(), CAPACITY + 1);
        uri.getBytes(0, copied, bytes, URI);
        found[PATH_HASH] = findPath(copied);
        int end = pathEnd();
        boolean read = end <= CAPACITY && isLatin1(uri, Math.min(end + 1, copied));
        // What followed the path, a query that may hold a key, is not kept for the life of the thread.
        Arrays.fill(bytes, URI + end, URI + copied, (byte) 0);
        return read;
    }

    /**
     * Whether the first {@code length} characters are all at most U+00FF: then each is its low byte, and so is every
     * {@code ?} and {@code #} among them. A scan, but one that did not show in a profile of the counting benchmark.
     */
    private static boolean isLatin1(String text, int length) {
        for (int i = 0; i < length; i++) {
            if (text.charAt(i) > 0xff) {
                return false;
            }
        }
        return true;
    }

    /** The length of the path read. */
    int pathEnd() {
        return (int) found[PATH_END];
    }

    /** The hash of the path read. */
    int pathHash() {
        return (int) found[PATH_HASH];
    }

    /** The most significant bits of the UUID read by {@link #isUuid}. */
    long uuidHigh() {
        return found[UUID_HIGH];
    }

    /** The least significant bits of the UUID read by {@link #isUuid}. */
    long uuidLow() {
        return found[UUID_LOW];
    }

    /** The eight bytes of the URI from {@code at}, the first in the lowest bits. */
    private long word(int at) {
        return (long) WORD.get(bytes, URI + at);
    }

    private long keyWord(int at) {
        return (long) WORD.get(bytes, KEY + at);
    }

    /**
     * Whether the key id read is a UUID's canonical form (lower-case), whose bits it then leaves for {@link
     * #uuidHigh} and {@link #uuidLow}.
     */
    boolean isUuid() {
        if (found[KEY_READ] == 0) {
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
        found[UUID_HIGH] = a << 32 | b;
        found[UUID_LOW] = c << 32 | d;
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
     * Finds where the path of the first {@code length} bytes ends, at the first {@code ?} or {@code #}, else at
     * {@code length} ({@link #pathEnd()}), and returns a hash of the path: one pass, eight bytes a step.
     */
    private int findPath(int length) {
        long hash = 0;
        for (int at = 0; ; at += Long.BYTES) {
            long word = word(at);
            long marks = zeroBytes(word ^ '?' * ONES) | zeroBytes(word ^ '#' * ONES);
            int end = at + (marks == 0 ? Long.BYTES : Long.numberOfTrailingZeros(marks) >>> 3);
            if (marks == 0 && end < length) {
                hash = mix(hash, word);
                continue;
            }
            int pathEnd = Math.min(end, length);
            found[PATH_END] = pathEnd;
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

    /** Whether the path read is {@code path}'s bytes. */
    boolean pathIs(byte[] path) {
        return Arrays.equals(bytes, URI, URI + pathEnd(), path, 0, path.length);
    }

    /** A copy of the path read. */
    byte[] path() {
        return Arrays.copyOfRange(bytes, URI, URI + pathEnd());
    }

    /** The high bit of the lowest zero byte and possibly of bytes above it, none when there is none. */
    private static long zeroBytes(long word) {
        return word - ONES & ~word & HIGH;
    }
}
