package io.latchkey.validator.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.validator.RateLimiter;
import io.latchkey.validator.redis.ExactRedisRateLimiter;
import io.latchkey.validator.redis.LocalSyncRateLimiter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ByteArrayResource;

/**
 * Which rate limiter the auto-configuration makes for a mode written in YAML, as users write it, against the Redis on
 * 127.0.0.1:6379. YAML reads a bare {@code off} as the boolean false.
 */
class RateLimitModeTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(LatchkeyValidatorProperties.class)
    static class Properties {
    }

    private static ApplicationContextRunner withYaml(String yaml) {
        return new ApplicationContextRunner()
                .withInitializer(context -> {
                    try {
                        new YamlPropertySourceLoader().load("test",
                                        new ByteArrayResource(yaml.getBytes(StandardCharsets.UTF_8)))
                                .forEach(context.getEnvironment().getPropertySources()::addFirst);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                })
                .withUserConfiguration(Properties.class,
                        LatchkeyValidatorAutoConfiguration.RateLimitConfiguration.class);
    }

    @Test
    void aBareOffInYamlMakesNoLimiterThoughYamlReadsItAsFalse() {
        withYaml("latchkey:\n  rate-limit:\n    mode: off\n")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(RateLimiter.class));
        withYaml("latchkey:\n  rate-limit:\n    mode: 'off'\n")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(RateLimiter.class));
        withYaml("latchkey:\n  other: 1\n")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(RateLimiter.class));
    }

    @Test
    void exactAndLocalSyncMakeTheirLimiters() {
        withYaml("latchkey:\n  rate-limit:\n    mode: exact\n").run(context ->
                assertThat(context).getBean(RateLimiter.class).isInstanceOf(ExactRedisRateLimiter.class));
        withYaml("latchkey:\n  rate-limit:\n    mode: local-sync\n").run(context ->
                assertThat(context).getBean(RateLimiter.class).isInstanceOf(LocalSyncRateLimiter.class));
    }
}
