package io.latchkey.validator;

import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;

/**
 * The local copy of the key-hash map a validator reads. Lookups must be local and non-blocking. Entries are never
 * removed, so a missing entry means the key was never issued (or the replica is incomplete: see {@link #isReady()}).
 */
public interface KeyReplica {

    /** The entry for a secret hash, or null when there is none. */
    ActiveKeyEntry lookup(KeyHash hash);

    /** True once this replica holds every entry the writers have published; it does not turn false again. */
    boolean isReady();

    /** Number of entries held locally, tombstones included. */
    int size();
}
