package io.latchkey.validator.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.edge.UsageReporting;
import io.latchkey.validator.KeyReplica;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.UsageRecorder;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** When the auto-configured filter reports its answers as usage, and when it does not. */
class UsageReportingConfigurationTest {

    @Configuration(proxyBeanMethods = false)
    static class Validator {

        @Bean
        KeyValidator keyValidator() {
            return KeyValidator.builder().replica(new KeyReplica() {
                public ActiveKeyEntry lookup(KeyHash hash) {
                    return null;
                }

                public boolean isReady() {
                    return true;
                }

                public int size() {
                    return 0;
                }

                public Instant asOf() {
                    return Instant.now();
                }
            }).build();
        }
    }

    private static ApplicationContextRunner service(String... properties) {
        return new ApplicationContextRunner().withPropertyValues("latchkey.filter.url-patterns=/orders/*")
                .withPropertyValues(properties)
                .withUserConfiguration(Validator.class,
                        LatchkeyValidatorAutoConfiguration.ServletFilterConfiguration.class);
    }

    @Test
    void aCommandSideUrlMakesTheFilterReportItsAnswers() {
        service("latchkey.usage.command-url=http://127.0.0.1:8081", "latchkey.usage.token=a-usage-token-of-16")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(UsageReporting.class));
        service().run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(UsageReporting.class));
    }

    @Test
    void aRecorderOfTheApplicationsTakesItsPlace() {
        service("latchkey.usage.command-url=http://127.0.0.1:8081", "latchkey.usage.token=a-usage-token-of-16")
                .withBean(UsageRecorder.class, () -> (keyId, outcome, requestUri) -> { })
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(UsageReporting.class));
    }

    /** An empty variable, or a missing token, would otherwise report nowhere, failing every second for good. */
    @Test
    void anEmptyUrlOrNoTokenStopsTheServiceWithTheReason() {
        service("latchkey.usage.command-url=", "latchkey.usage.token=a-usage-token-of-16").run(context ->
                assertThat(context).getFailure().rootCause().hasMessageContaining("must be http(s)://host[:port]"));
        service("latchkey.usage.command-url=http://127.0.0.1:8081").run(context ->
                assertThat(context).getFailure().rootCause().hasMessageContaining("usage token is required"));
    }
}
