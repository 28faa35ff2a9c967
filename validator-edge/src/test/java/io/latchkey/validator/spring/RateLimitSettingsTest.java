package io.latchkey.validator.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.testing.LoopbackPorts;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.hazelcast.HazelcastAutoConfiguration;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** A {@code latchkey.rate-limit.redis} that is no Redis URI stops the start as the properties bind, naming it. */
class RateLimitSettingsTest {

    @Test
    void aRedisAddressWithoutSchemeStopsTheStartNamingTheSettingAndTheFormItTakes() {
        runWithRedis("localhost:6379").run(context -> assertThat(context).hasFailed().getFailure()
                .hasStackTraceContaining("Failed to bind properties under 'latchkey")
                .hasStackTraceContaining("latchkey.rate-limit.redis (LATCHKEY_RATE_LIMIT_REDIS) is not a Redis URI")
                .hasStackTraceContaining("redis://host:port"));
    }

    /** Spring Boot's start-up report shows a failed binding's property with its value: none is attached. */
    @Test
    void aMalformedRedisUriIsRefusedWithoutRepeatingItsPassword() {
        runWithRedis("redis//:s3cret-pass@localhost:6379").run(context -> {
            Throwable failure = context.getStartupFailure();
            assertThat(failure).isNotNull();
            assertThat(failure).hasStackTraceContaining("latchkey.rate-limit.redis");
            for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
                assertThat(cause.getMessage()).doesNotContain("s3cret-pass");
                if (cause instanceof BindException bind && bind.getProperty() != null) {
                    assertThat(String.valueOf(bind.getProperty().getValue())).doesNotContain("s3cret-pass");
                }
            }
        });
    }

    @Test
    void aRedisUriBinds() {
        runWithRedis("redis://:s3cret-pass@127.0.0.1:6379").run(context -> assertThat(context).hasNotFailed()
                .getBean(LatchkeyValidatorProperties.class).extracting(p -> p.rateLimit().redis())
                .isEqualTo("redis://:s3cret-pass@127.0.0.1:6379"));
    }

    private static ApplicationContextRunner runWithRedis(String redis) {
        int port = LoopbackPorts.free();
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(LatchkeyValidatorAutoConfiguration.class,
                        HazelcastAutoConfiguration.class))
                .withPropertyValues("latchkey.hazelcast.cluster-name=redis-uri-" + UUID.randomUUID(),
                        "latchkey.hazelcast.port=" + port, "latchkey.hazelcast.members=127.0.0.1:" + port,
                        "latchkey.rate-limit.redis=" + redis);
    }
}
