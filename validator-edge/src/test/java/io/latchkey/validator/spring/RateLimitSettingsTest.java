package io.latchkey.validator.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.testing.LoopbackPorts;
import java.util.List;
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
        runWithRedis("localhost:6379", "exact").run(context -> assertThat(context).hasFailed().getFailure()
                .hasStackTraceContaining("Failed to bind properties under 'latchkey")
                .hasStackTraceContaining("latchkey.rate-limit.redis (LATCHKEY_RATELIMIT_REDIS) is not a Redis URI")
                .hasStackTraceContaining("redis://host:port"));
    }

    /** Lettuce reads what follows a raw # or ? as no password, and the rest as the host, which logs would show. */
    @Test
    void aPasswordWithAReservedCharacterNotEncodedIsRefusedWithoutRepeatingIt() {
        for (String redis : List.of("redis://:k9x#w4@127.0.0.1:6379", "redis://:k9x?w4@127.0.0.1:6379",
                "redis://:k9@x#w4@127.0.0.1:6379")) {
            runWithRedis(redis, "local-sync").run(context -> {
                assertThat(context).hasFailed().getFailure().hasStackTraceContaining("percent-encoded");
                for (Throwable cause = context.getStartupFailure(); cause != null; cause = cause.getCause()) {
                    assertThat(cause.getMessage()).doesNotContain("k9").doesNotContain("w4");
                }
            });
        }
    }

    @Test
    void aValueNothingUsesIsNotCheckedWhileRateLimitingIsOff() {
        runWithRedis("localhost:6379", "off").run(context -> assertThat(context).hasNotFailed());
    }

    /** Spring Boot's start-up report shows a failed binding's property with its value: none is attached. */
    @Test
    void aMalformedRedisUriIsRefusedWithoutRepeatingItsPassword() {
        runWithRedis("redis//:s3cret-pass@localhost:6379", "exact").run(context -> {
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
    void redisUrisOfEveryFormLettuceTakesPassTheCheck() {
        for (String redis : List.of("redis://127.0.0.1:6379", "redis://:s3cret%23pass@127.0.0.1:6379/2",
                "rediss://user:pw@redis.example:6380", "redis://[::1]:6379", "redis-socket:///tmp/redis.sock",
                "redis-sentinel://10.0.0.1:26379,10.0.0.2:26379#mymaster")) {
            assertThat(new LatchkeyValidatorProperties.RateLimit(LatchkeyValidatorProperties.RateLimit.Mode.EXACT,
                    redis, null, null, null, null).redis()).isEqualTo(redis);
        }
    }

    private static ApplicationContextRunner runWithRedis(String redis, String mode) {
        int port = LoopbackPorts.free();
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(LatchkeyValidatorAutoConfiguration.class,
                        HazelcastAutoConfiguration.class))
                .withPropertyValues("latchkey.hazelcast.cluster-name=redis-uri-" + UUID.randomUUID(),
                        "latchkey.hazelcast.port=" + port, "latchkey.hazelcast.members=127.0.0.1:" + port,
                        "latchkey.rate-limit.redis=" + redis, "latchkey.rate-limit.mode=" + mode);
    }
}
