/**
 * Projections of the event stream: the {@code developers} and {@code keys} read models in MongoDB and the replicated
 * map of key hashes that every edge validates against. Each projection is idempotent: an event at or below the
 * version it already holds for an aggregate changes nothing, so redeliveries and replays are harmless.
 */
package io.latchkey.query;
