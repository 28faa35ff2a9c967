/**
 * The command side's writes into the replica cluster: only the REVOKED tombstones of a revocation it has just stored,
 * ahead of the query side's projection, and the fingerprint of the pepper it hashes secrets with. Everything else in
 * the map is the projection's.
 */
package io.latchkey.command.hazelcast;
