/**
 * The replicated map of key hashes on Hazelcast: member configuration shared by every member (query sides write, edges
 * read), the reading side ({@link io.latchkey.validator.hazelcast.HazelcastKeyReplica}) and the writing side
 * ({@link io.latchkey.validator.hazelcast.ReplicaWriter}). Map keys are {@link io.latchkey.api.secret.KeyHash}es (32 bytes on the wire), values
 * {@link io.latchkey.api.replica.ActiveKeyEntry#toBytes()}; a write never replaces an entry with an older or
 * un-revoking one, and neither does a split-brain merge ({@link io.latchkey.validator.hazelcast.ActiveKeyMergePolicy},
 * with each reader holding the tombstones it saw until its refilled copy carries them again).
 */
package io.latchkey.validator.hazelcast;
