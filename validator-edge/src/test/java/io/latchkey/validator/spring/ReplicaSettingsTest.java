package io.latchkey.validator.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A {@code latchkey.replica} setting the validator cannot take stops the application, naming the setting. */
class ReplicaSettingsTest {

    @Test
    void aMaxLagThatIsNotPositiveStopsTheStartNamingTheSettingAsThePropertiesBind() {
        ValidatorContexts.alone("max-lag-" + UUID.randomUUID())
                .withPropertyValues("latchkey.replica.max-lag=0s")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("Failed to bind properties under 'latchkey")
                        .hasStackTraceContaining("latchkey.replica.max-lag must be positive, not PT0S"));
    }
}
