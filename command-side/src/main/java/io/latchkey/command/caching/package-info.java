/**
 * Aggregate caches for Axon's repositories. The embedded event store scans its whole collection to load an aggregate,
 * so keeping recently used aggregates in memory takes that scan off most commands; the cache is bounded, so memory
 * does not grow with the number of keys.
 */
package io.latchkey.command.caching;
