package io.latchkey.validator.spring;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The member whose copy of the replica the auto-configured validator reads: the application's Hazelcast member when it
 * was made from {@code ReplicaCluster.memberConfig} (the auto-configuration's {@code Config} is), else a member of the
 * validator's own. An application with a Hazelcast of its own (a cache, say) keeps it as it configured it, and none of
 * its data joins the replica cluster.
 * Not a {@code HazelcastInstance} bean, which would make Spring Boot's Hazelcast auto-configuration back off.
 */
final class ReplicaMember implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReplicaMember.class);

    private final HazelcastInstance hazelcast;
    private final boolean own;

    private ReplicaMember(HazelcastInstance hazelcast, boolean own) {
        this.hazelcast = hazelcast;
        this.own = own;
    }

    /** {@code application}: the application's unique Hazelcast instance, null when it has none or several. */
    static ReplicaMember of(HazelcastInstance application, ReplicaCluster cluster, String instanceName) {
        if (application != null && ReplicaCluster.isReplicaMember(application)) {
            return new ReplicaMember(application, false);
        }
        log.info("The key validator starts a Hazelcast member of its own in replica cluster {} (members {}, port {} "
                        + "and up){}", cluster.clusterName(), cluster.members(), cluster.port(),
                application == null ? "" : "; the application's Hazelcast instance " + application.getName()
                        + " is left as it is configured");
        return new ReplicaMember(Hazelcast.newHazelcastInstance(cluster.memberConfig(instanceName)), true);
    }

    HazelcastInstance hazelcast() {
        return hazelcast;
    }

    /** Leaves the replica cluster when the member is the validator's own; the application's is Spring's to stop. */
    @Override
    public void close() {
        if (own) {
            hazelcast.shutdown();
        }
    }
}
