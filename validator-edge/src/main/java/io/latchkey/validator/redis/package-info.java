/**
 * Rate limits shared by every edge through Redis (Lettuce): {@link io.latchkey.validator.redis.ExactRedisRateLimiter}
 * asks Redis on every decision, {@link io.latchkey.validator.redis.LocalSyncRateLimiter} decides from leases synced
 * in the background. Both reach Redis only through a {@link io.latchkey.validator.redis.RedisLink} with a latency
 * budget, and decide from local buckets while Redis is down or slow.
 */
package io.latchkey.validator.redis;
