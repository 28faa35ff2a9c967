/**
 * Rate limiting inside one JVM: token buckets per key id. Used on their own (one edge) and as the fallback of the
 * Redis-backed limiters in {@code io.latchkey.validator.redis}.
 */
package io.latchkey.validator.ratelimit;
