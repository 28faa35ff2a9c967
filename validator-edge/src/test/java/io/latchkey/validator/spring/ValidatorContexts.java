package io.latchkey.validator.spring;

import io.latchkey.testing.LoopbackPorts;
import java.util.UUID;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.hazelcast.HazelcastAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Applications with the validator's auto-configuration, each a replica member alone in a cluster of its own. */
final class ValidatorContexts {

    private ValidatorContexts() {
    }

    /** Its cluster named {@code clusterName} and a random suffix, on a free loopback port. */
    static ApplicationContextRunner alone(String clusterName) {
        int port = LoopbackPorts.free();
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(LatchkeyValidatorAutoConfiguration.class,
                        HazelcastAutoConfiguration.class))
                .withPropertyValues("latchkey.hazelcast.cluster-name=" + clusterName,
                        "latchkey.hazelcast.port=" + port, "latchkey.hazelcast.members=127.0.0.1:" + port);
    }
}
