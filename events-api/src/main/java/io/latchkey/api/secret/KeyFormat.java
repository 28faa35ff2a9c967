package io.latchkey.api.secret;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * Generates and checks keys of the form {@code lk_<env>_<body><checksum>}: {@code body} is 256 random bits as 43
 * base62 characters, {@code checksum} the CRC32 of everything before it as 6 base62 characters. Every
 * single-character change to a key fails {@link #isWellFormed}: CRC32 detects every error confined to 32 bits.
 */
public final class KeyFormat {

    public static final String PREFIX = "lk_";
    static final int BODY_LENGTH = 43;
    static final int CHECKSUM_LENGTH = 6;
    static final int MAX_ENVIRONMENT_LENGTH = 16;
    /** What follows a key's environment and its underscore: the body and the checksum. */
    public static final int BODY_AND_CHECKSUM_LENGTH = BODY_LENGTH + CHECKSUM_LENGTH;
    /** Longest well-formed key; anything longer is rejected before any other work. */
    public static final int MAX_LENGTH = PREFIX.length() + MAX_ENVIRONMENT_LENGTH + 1 + BODY_AND_CHECKSUM_LENGTH;

    private static final char[] ALPHABET =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final BigInteger BASE = BigInteger.valueOf(62);
    private static final byte[] DIGITS = new byte[128];

    static {
        Arrays.fill(DIGITS, (byte) -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            DIGITS[ALPHABET[i]] = (byte) i;
        }
    }

    private final String prefix;
    private final SecureRandom random;

    private KeyFormat(String environment, SecureRandom random) {
        if (!isEnvironment(environment)) {
            throw new IllegalArgumentException("key environment must be 1-16 characters of [a-z0-9]");
        }
        this.prefix = PREFIX + environment + "_";
        this.random = random;
    }

    /** A generator of keys for one environment ({@code live}, {@code test}, …). */
    public static KeyFormat forEnvironment(String environment) {
        return new KeyFormat(environment, new SecureRandom());
    }

    public String prefix() {
        return prefix;
    }

    /** A new key with 256 bits from {@link SecureRandom}. */
    public String generate() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String head = prefix + base62(new BigInteger(1, bytes), BODY_LENGTH);
        byte[] ascii = head.getBytes(StandardCharsets.US_ASCII);
        return head + base62(BigInteger.valueOf(crc32(ascii, ascii.length)), CHECKSUM_LENGTH);
    }

    /** A short, non-secret form for display: the prefix and the last four characters. */
    public static String hint(String key) {
        int envEnd = key.indexOf('_', PREFIX.length());
        return key.substring(0, envEnd + 1) + "…" + key.substring(key.length() - 4);
    }

    /**
     * Whether {@code text} holds what may be a key's secret without its {@code lk_<env>_} prefix, which is the same for
     * every key: {@value #BODY_LENGTH} or more ASCII letters and digits in a row (its 256 random bits in base62), with
     * upper and lower case letters among them. Every secret has both but about one in ten billion, while hex digests,
     * git commit ids and words in one case have not.
     */
    public static boolean holdsBareSecret(String text) {
        if (text == null) {
            return false;
        }
        int run = 0;
        boolean upper = false;
        boolean lower = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean isUpper = c >= 'A' && c <= 'Z';
            boolean isLower = c >= 'a' && c <= 'z';
            if (isUpper || isLower || c >= '0' && c <= '9') {
                run++;
                upper |= isUpper;
                lower |= isLower;
                if (run >= BODY_LENGTH && upper && lower) {
                    return true;
                }
            } else {
                run = 0;
                upper = false;
                lower = false;
            }
        }
        return false;
    }

    /** Checks shape, alphabet and checksum; never throws. */
    public static boolean isWellFormed(CharSequence key) {
        return key != null && key.length() <= MAX_LENGTH
                && isWellFormedAscii(key.toString().getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * The same check on a key's ASCII bytes (any other character encoded as {@code ?}, which no key holds), so that a
     * validator converts a presented key once for both this check and {@link KeyHasher#hash(byte[])}.
     */
    public static boolean isWellFormedAscii(byte[] key) {
        int length = key.length;
        int minimum = PREFIX.length() + 2 + BODY_LENGTH + CHECKSUM_LENGTH;
        if (length < minimum || length > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < PREFIX.length(); i++) {
            if (key[i] != PREFIX.charAt(i)) {
                return false;
            }
        }
        int envEnd = length - BODY_LENGTH - CHECKSUM_LENGTH - 1;
        if (key[envEnd] != '_') {
            return false;
        }
        for (int i = PREFIX.length(); i < envEnd; i++) {
            byte c = key[i];
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9')) {
                return false;
            }
        }
        int checksumStart = length - CHECKSUM_LENGTH;
        for (int i = envEnd + 1; i < checksumStart; i++) {
            if (digit(key[i]) < 0) {
                return false;
            }
        }
        long checksum = 0;
        for (int i = checksumStart; i < length; i++) {
            int d = digit(key[i]);
            if (d < 0) {
                return false;
            }
            checksum = checksum * 62 + d;
        }
        return checksum == crc32(key, checksumStart);
    }

    static boolean isEnvironment(String environment) {
        if (environment == null || environment.isEmpty() || environment.length() > MAX_ENVIRONMENT_LENGTH) {
            return false;
        }
        for (int i = 0; i < environment.length(); i++) {
            char c = environment.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9')) {
                return false;
            }
        }
        return true;
    }

    private static long crc32(byte[] ascii, int end) {
        CRC32 crc = new CRC32();
        crc.update(ascii, 0, end);
        return crc.getValue();
    }

    /** A table, not range tests: random key characters would make range branches mispredict on every request. */
    private static int digit(int c) {
        return c >= 0 && c < DIGITS.length ? DIGITS[c] : -1;
    }


    private static String base62(BigInteger value, int width) {
        char[] out = new char[width];
        BigInteger rest = value;
        for (int i = width - 1; i >= 0; i--) {
            BigInteger[] qr = rest.divideAndRemainder(BASE);
            out[i] = ALPHABET[qr[1].intValue()];
            rest = qr[0];
        }
        if (rest.signum() != 0) {
            throw new IllegalStateException("value does not fit in " + width + " base62 digits");
        }
        return new String(out);
    }
}
