package io.latchkey.validator;

/**
 * Validates presented keys against a local replica. Thread-safe; a validation does no I/O.
 *
 * <pre>{@code
 * KeyValidator validator = KeyValidator.builder()
 *         .replica(HazelcastKeyReplica.of(hazelcastInstance))
 *         .build();
 * Decision decision = validator.validate(presentedKey, "orders:read");
 * }</pre>
 */
public interface KeyValidator {

    /**
     * Decides whether {@code presentedKey} may act with {@code requiredScope}.
     *
     * @param presentedKey  the key exactly as the client sent it; may be null or garbage (then MALFORMED)
     * @param requiredScope {@code read}, {@code orders:write}, …; null or blank checks authentication only
     * @throws IllegalArgumentException when {@code requiredScope} is not a valid scope: that is the caller's
     *                                  configuration error, not the key's
     */
    Decision validate(String presentedKey, String requiredScope);

    /** The replica this validator reads. */
    KeyReplica replica();

    static KeyValidatorBuilder builder() {
        return new KeyValidatorBuilder();
    }
}
