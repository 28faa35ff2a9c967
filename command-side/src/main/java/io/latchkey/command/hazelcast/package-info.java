/**
 * The command side's writes into the replicated map: only the REVOKED tombstones of a revocation it has just stored,
 * ahead of the query side's projection. Everything else in the map is the projection's.
 */
package io.latchkey.command.hazelcast;
