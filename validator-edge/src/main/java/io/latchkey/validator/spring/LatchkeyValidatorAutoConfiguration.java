package io.latchkey.validator.spring;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.hazelcast.HazelcastKeyReplica;
import java.time.Clock;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/** Makes the service a replica member and gives it a {@link KeyValidator}. Off with {@code latchkey.validator.enabled=false}. */
@AutoConfiguration(beforeName = "org.springframework.boot.autoconfigure.hazelcast.HazelcastAutoConfiguration")
@ConditionalOnProperty(name = "latchkey.validator.enabled", matchIfMissing = true)
@EnableConfigurationProperties(LatchkeyValidatorProperties.class)
public class LatchkeyValidatorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(Config.class)
    Config hazelcastConfig(LatchkeyValidatorProperties properties,
                           @Value("${spring.application.name:latchkey}") String applicationName) {
        // Unique: Spring Boot reuses an existing member of the same instance name (getOrCreateHazelcastInstance),
        // which would put a second application context of this JVM into the first one's cluster.
        return properties.hazelcast().cluster().memberConfig(applicationName + "-" + UUID.randomUUID());
    }

    @Bean
    @ConditionalOnMissingBean
    KeyHasher keyHasher(LatchkeyValidatorProperties properties) {
        return KeyHasher.forPepper(properties.pepper());
    }

    @Bean
    @ConditionalOnMissingBean
    KeyValidator keyValidator(HazelcastInstance hazelcast, KeyHasher hasher, ObjectProvider<Clock> clock) {
        return KeyValidator.builder()
                .replica(HazelcastKeyReplica.of(hazelcast))
                .hasher(hasher)
                .clock(clock.getIfAvailable(Clock::systemUTC))
                .build();
    }
}
