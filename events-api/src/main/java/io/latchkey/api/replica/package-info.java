/**
 * The entry type of the replicated map of key hashes that every edge reads. Entries are never removed: a revocation
 * writes a tombstone with a higher version, and {@link io.latchkey.api.replica.ActiveKeyEntry#newer} decides which
 * of two entries wins, so a revoked key can never come back.
 */
package io.latchkey.api.replica;
