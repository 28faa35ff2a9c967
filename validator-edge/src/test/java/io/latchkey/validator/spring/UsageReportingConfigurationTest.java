package io.latchkey.validator.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.edge.UsageReporting;
import io.latchkey.validator.KeyReplica;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.UsageRecorder;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** When the auto-configured filter reports its answers as usage, and when it does not. */
class UsageReportingConfigurationTest {

    @Configuration(proxyBeanMethods = false)
    static class Validator {

        static final AtomicBoolean made = new AtomicBoolean();

        @Bean
        KeyValidator keyValidator() {
            made.set(true);
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

    /** The settings' check, as the auto-configuration registers it. */
    @Configuration(proxyBeanMethods = false)
    static class SettingsCheck {

        @Bean
        static BeanFactoryPostProcessor latchkeyFilterSettings(Environment environment) {
            return LatchkeyValidatorAutoConfiguration.latchkeyFilterSettings(environment);
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

    /**
     * Before any bean is made: in a service, the validator's bean makes the replica's member, which would join the
     * installation's cluster only to leave it at once.
     */
    @Test
    void noTokenStopsTheServiceBeforeItsValidatorIsMade() {
        Validator.made.set(false);
        service("latchkey.usage.command-url=http://127.0.0.1:8081").withUserConfiguration(SettingsCheck.class)
                .run(context -> assertThat(context).getFailure().hasMessageContaining("usage token is required"));
        assertThat(Validator.made).isFalse();
        service("latchkey.usage.command-url=http://127.0.0.1:8081", "latchkey.usage.token=a-usage-token-of-16")
                .withUserConfiguration(SettingsCheck.class).run(context -> assertThat(context).hasNotFailed());
        assertThat(Validator.made).isTrue();
    }

    /** Without a filter there are no answers to count: the service would start and report nothing, without a word. */
    @Test
    void aCommandUrlWithoutUrlPatternsStopsTheServiceWithTheReason() {
        for (String url : new String[] {"http://127.0.0.1:8081", ""}) {
            new ApplicationContextRunner().withUserConfiguration(SettingsCheck.class)
                    .withPropertyValues("latchkey.usage.command-url=" + url, "latchkey.usage.token=a-usage-token-of-16")
                    .run(context -> assertThat(context).getFailure()
                            .hasMessageContaining("latchkey.usage.command-url set without latchkey.filter.url-patterns")
                            .hasMessageContaining("counts the filter's answers"));
        }
        new ApplicationContextRunner().withUserConfiguration(SettingsCheck.class)
                .withPropertyValues("latchkey.usage.command-url=http://127.0.0.1:8081",
                        "latchkey.filter.url-patterns=/orders/*")
                .run(context -> assertThat(context).hasNotFailed());
    }
}
