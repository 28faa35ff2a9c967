package io.latchkey.validator.spring;

import io.latchkey.validator.hazelcast.ReplicaCluster;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latchkey.*} settings the validator needs.
 *
 * @param pepper    HMAC pepper; must equal the command side's (blank: plain SHA-256)
 * @param hazelcast the replica cluster this member joins
 */
@ConfigurationProperties("latchkey")
public record LatchkeyValidatorProperties(String pepper, Hazelcast hazelcast) {

    public LatchkeyValidatorProperties {
        hazelcast = hazelcast == null ? new Hazelcast(null, null, 0, null) : hazelcast;
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
