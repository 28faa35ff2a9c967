package io.latchkey.api.secret;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Turns a presented key into its {@link KeyHash}. Plain SHA-256 is enough for 256-bit random keys; HMAC-SHA-256
 * with a server-side pepper additionally makes a leaked hash table useless without the pepper. Every service and
 * edge of one installation must use the same hasher. Thread-safe.
 */
public final class KeyHasher {

    private static final int MIN_PEPPER_BYTES = 16;
    /** Hashed for {@link #fingerprint}: no key has this form, so no key's hash is given away. */
    private static final byte[] FINGERPRINTED = "latchkey pepper fingerprint".getBytes(StandardCharsets.US_ASCII);

    private final ThreadLocal<Digest> digests;
    private final String algorithm;

    private interface Digest {
        byte[] digest(byte[] input);
    }

    private KeyHasher(String algorithm, Supplier<Digest> factory) {
        this.algorithm = algorithm;
        this.digests = ThreadLocal.withInitial(factory);
    }

    public static KeyHasher sha256() {
        return new KeyHasher("SHA-256", () -> {
            MessageDigest md = newInstance(() -> MessageDigest.getInstance("SHA-256"));
            return md::digest;
        });
    }

    public static KeyHasher hmacSha256(byte[] pepper) {
        if (pepper == null || pepper.length < MIN_PEPPER_BYTES) {
            throw new IllegalArgumentException("the pepper must be at least " + MIN_PEPPER_BYTES + " bytes");
        }
        SecretKeySpec key = new SecretKeySpec(pepper.clone(), "HmacSHA256");
        return new KeyHasher("HMAC-SHA-256", () -> {
            Mac mac = newInstance(() -> {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(key);
                return m;
            });
            return mac::doFinal;
        });
    }

    /**
     * HMAC with {@code pepper} when one is configured, plain SHA-256 otherwise; a refusal names the setting, which
     * every service reads, and never the value, a secret.
     */
    public static KeyHasher forPepper(String pepper) {
        if (pepper == null || pepper.isBlank()) {
            return sha256();
        }
        byte[] bytes = pepper.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < MIN_PEPPER_BYTES) {
            throw new IllegalArgumentException("latchkey.pepper (LATCHKEY_PEPPER) must be at least " + MIN_PEPPER_BYTES
                    + " bytes, not " + bytes.length + ", or empty for plain SHA-256; every service and edge must"
                    + " have the same one");
        }
        return hmacSha256(bytes);
    }

    public KeyHash hash(String key) {
        return hash(key.getBytes(StandardCharsets.US_ASCII));
    }

    /** The hash of a key already converted to its ASCII bytes. */
    public KeyHash hash(byte[] asciiKey) {
        return KeyHash.of(digests.get().digest(asciiKey));
    }

    /**
     * Tells hashers apart without telling their peppers: equal for two hashers that hash every key alike, different
     * (but for one chance in 2^64) otherwise. Members compare it to find a validator given another pepper than the
     * installation's command side, which hashes every secret: to it every key would be unknown.
     */
    public long fingerprint() {
        return hash(FINGERPRINTED).word(0);
    }

    @Override
    public String toString() {
        return "KeyHasher[" + algorithm + "]";
    }

    private interface Factory<T> {
        T create() throws GeneralSecurityException;
    }

    private static <T> T newInstance(Factory<T> factory) {
        try {
            return factory.create();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JCA provider lacks a required algorithm", e);
        }
    }
}
