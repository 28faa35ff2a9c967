package io.latchkey.validator;

import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import java.time.Instant;

/**
 * The local copy of the key-hash map a validator reads. Lookups must be local and non-blocking. Entries are never
 * removed, so a missing entry means the key was never issued (or the replica is incomplete: see {@link #isReady()}).
 */
public interface KeyReplica {

    /**
     * The entry for a secret hash, or null when there is none.
     *
     * @throws ReplicaUnavailableException once the replica can no longer be read (its member has shut down)
     */
    ActiveKeyEntry lookup(KeyHash hash);

    /**
     * True once this replica holds every entry the writers have published; false again only while something empties
     * and refills it (a Hazelcast member's copy during a split-brain merge).
     */
    boolean isReady();

    /** Number of entries held locally, tombstones included. */
    int size();

    /**
     * The latest point of the event log this copy is known to reflect: the time at which a writer, caught up with
     * the log, last confirmed its writes to this copy. Null while no writer has. A replica that stops receiving
     * confirmations (its writers down or lagging, or this member cut off) keeps an old value, which is how
     * {@link KeyValidator#lag()} notices.
     */
    Instant asOf();

    /**
     * Whether the installation (its command side, which hashes every secret) hashes as a hasher of {@code fingerprint}
     * ({@link io.latchkey.api.secret.KeyHasher#fingerprint}). {@code UNKNOWN} while none was published (a command
     * side of a release before the check, or not read yet); it must not block.
     */
    default Hashing hashing(long fingerprint) {
        return Hashing.UNKNOWN;
    }

    /** The answer of {@link #hashing}. */
    enum Hashing { SAME, OTHER, UNKNOWN }
}
