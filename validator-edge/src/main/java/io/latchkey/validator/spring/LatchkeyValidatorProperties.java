package io.latchkey.validator.spring;

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
 */
@ConfigurationProperties("latchkey")
public record LatchkeyValidatorProperties(String pepper, Hazelcast hazelcast, Replica replica) {

    public LatchkeyValidatorProperties {
        hazelcast = hazelcast == null ? new Hazelcast(null, null, 0, null) : hazelcast;
        replica = replica == null ? new Replica(null) : replica;
    }

    /**
     * @param maxLag beyond this lag behind the event log the validator stops answering from its replica
     *               (default 10 s: a revocation committed while this member hears no caught-up writer is at most
     *               that old when the member stops trusting itself)
     */
    public record Replica(Duration maxLag) {

        public Replica {
            maxLag = maxLag == null ? Duration.ofSeconds(10) : maxLag;
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
