package io.latchkey.validator.spring;

import io.lettuce.core.RedisURI;
import io.latchkey.validator.KeyValidatorBuilder;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latchkey.*} settings the validator needs.
 *
 * @param pepper    HMAC pepper; must equal the command side's (blank: plain SHA-256)
 * @param hazelcast the replica cluster this member joins
 * @param replica   how far behind the event log the replica may fall
 * @param rateLimit how keys' rate limits are enforced
 */
@ConfigurationProperties("latchkey")
public record LatchkeyValidatorProperties(String pepper, Hazelcast hazelcast, Replica replica, RateLimit rateLimit) {

    public LatchkeyValidatorProperties {
        hazelcast = hazelcast == null ? new Hazelcast(null, null, 0, null) : hazelcast;
        replica = replica == null ? new Replica(null) : replica;
        rateLimit = rateLimit == null ? new RateLimit(null, null, null, null, null, null) : rateLimit;
    }

    /**
     * {@code latchkey.rate-limit.*}.
     *
     * @param mode         {@code off} (default: no key is limited), {@code exact} (Redis on every decision) or
     *                     {@code local-sync} (local leases synced through Redis in the background)
     * @param redis        Redis URI (default {@code redis://127.0.0.1:6379})
     * @param redisBudget  how long a decision may wait for a Redis call before deciding locally (default 5 ms): one
     *                     call in exact mode, one per limiter in local-sync mode
     * @param redisPause   the longest time to decide locally after Redis failed or stalled (at least three misses in
     *                     a row over three budgets, with no reply in time between, or at least as many misses as
     *                     replies in time over the twenty budgets after a miss); the first pause of an outage lasts
     *                     four budgets, each further one twice as long as the last until replies come in time for two
     *                     budgets (default 1 s)
     * @param syncInterval local-sync: how long an unused lease is kept before its tokens go back (default 1 s)
     * @param warmUp       how long the limiters' Redis calls may be warmed up for before the service takes requests
     *                     (default 5 s, under a second on an idle host; 0 for none), so that its first decisions
     *                     do not miss the budget
     */
    public record RateLimit(Mode mode, String redis, Duration redisBudget, Duration redisPause,
                            Duration syncInterval, Duration warmUp) {

        public enum Mode { OFF, EXACT, LOCAL_SYNC }

        public RateLimit {
            mode = mode == null ? Mode.OFF : mode;
            redis = redis == null || redis.isBlank() ? "redis://127.0.0.1:6379" : redis;
            redisBudget = redisBudget == null ? Duration.ofMillis(5) : redisBudget;
            redisPause = redisPause == null ? Duration.ofSeconds(1) : redisPause;
            syncInterval = syncInterval == null ? Duration.ofSeconds(1) : syncInterval;
            warmUp = warmUp == null ? Duration.ofSeconds(5) : warmUp;
            if (warmUp.isNegative()) {
                throw new IllegalArgumentException("latchkey.rate-limit.warm-up must not be negative, not " + warmUp);
            }
            if (mode != Mode.OFF) {
                requireRedisUri(redis);
            }
        }

        /**
         * Checked as the settings bind, where Lettuce would refuse it deep in the beans with "URI scheme must not be
         * null"; the value is not repeated, as it may hold a password. A password with a character a URI reserves
         * ({@code #}, {@code ?}, {@code @}, {@code /}) that is not percent-encoded makes Lettuce read part of it as the
         * host, which every line naming Redis's address would then show: refused too.
         */
        private static void requireRedisUri(String redis) {
            RedisURI uri;
            try {
                uri = RedisURI.create(redis);
            } catch (IllegalArgumentException e) {
                throw refused("is not a Redis URI");
            }
            if (!redis.startsWith("redis://") && !redis.startsWith("rediss://")) {
                // Sentinels (#master) and sockets name no single host.
                return;
            }
            String host = uri.getHost();
            // A colon in a host not bracketed as IPv6 is a password's, cut at an unencoded ? or #.
            boolean hostless = host == null || host.isEmpty() || host.contains(":") && !redis.contains("[");
            boolean unencoded = redis.indexOf('@') != redis.lastIndexOf('@') || redis.contains("#");
            if (hostless || unencoded) {
                throw refused("is not a Redis URI that names its host");
            }
        }

        private static IllegalArgumentException refused(String why) {
            return new IllegalArgumentException("latchkey.rate-limit.redis (LATCHKEY_RATELIMIT_REDIS) " + why + ": it "
                    + "takes the form redis://host:port (rediss:// for TLS, redis://:password@host:port with a "
                    + "password, whose #, ?, @, / and % are percent-encoded as %23, %3F, %40, %2F and %25)");
        }
    }

    /**
     * @param maxLag beyond this lag behind the event log the replica is not current: {@code canDecide} is false for
     *               a well-formed key, and the filter and the edge answer 503 (default 10 s: a revocation committed
     *               while this member hears no caught-up writer is at most that old when the member stops trusting
     *               itself); {@code validate} itself does not look, so call {@code canDecide} first
     */
    public record Replica(Duration maxLag) {

        public Replica {
            maxLag = maxLag == null ? KeyValidatorBuilder.DEFAULT_MAX_LAG : maxLag;
            // Checked as the properties bind, to name the setting, and before the member joins the cluster.
            if (maxLag.isNegative() || maxLag.isZero()) {
                throw new IllegalArgumentException("latchkey.replica.max-lag must be positive, not " + maxLag);
            }
        }
    }

    /**
     * @param clusterName cluster name (default {@code latchkey})
     * @param host        interface to bind (default 127.0.0.1)
     * @param port        first port to try (default 5701)
     * @param members     other members' addresses (default: {@code host}, ports from 5701)
     */
    public record Hazelcast(String clusterName, String host, int port, List<String> members) {

        public ReplicaCluster cluster() {
            return new ReplicaCluster(clusterName, host, port, members);
        }
    }
}
