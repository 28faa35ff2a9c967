package io.latchkey.validator.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.testing.LoopbackPorts;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.hazelcast.HazelcastAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** A {@code latchkey.replica} setting the validator cannot take stops the application, naming the setting. */
class ReplicaSettingsTest {

    @Test
    void aMaxLagThatIsNotPositiveStopsTheStartNamingTheSettingAsThePropertiesBind() {
        int port = LoopbackPorts.free();
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(LatchkeyValidatorAutoConfiguration.class,
                        HazelcastAutoConfiguration.class))
                .withPropertyValues("latchkey.hazelcast.cluster-name=max-lag-" + UUID.randomUUID(),
                        "latchkey.hazelcast.port=" + port, "latchkey.hazelcast.members=127.0.0.1:" + port,
                        "latchkey.replica.max-lag=0s")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("Failed to bind properties under 'latchkey")
                        .hasStackTraceContaining("latchkey.replica.max-lag must be positive, not PT0S"));
    }
}
