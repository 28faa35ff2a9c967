/**
 * Projections of the event stream: the {@code developers} and {@code keys} read models in MongoDB and the replicated
 * map of key hashes that every edge validates against. Each projection is idempotent: an event at or below the
 * version it already holds for an aggregate changes nothing, so redeliveries and replays are harmless. The replica
 * projection's own state is saved in MongoDB and restored at start ({@link io.latchkey.query.ReplicaSnapshot}); a key
 * as it stood at a past instant is folded from the event store on request ({@link io.latchkey.query.PastStates}).
 */
package io.latchkey.query;
