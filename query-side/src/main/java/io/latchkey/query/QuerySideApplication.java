package io.latchkey.query;

import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.spring.ReplicaHealth;
import java.time.Clock;
import org.axonframework.config.ConfigurerModule;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The query side: projections into MongoDB and the replicated map, REST queries and the validation fallback. */
@SpringBootApplication
@EnableScheduling
public class QuerySideApplication {

    public static void main(String[] args) {
        try {
            SpringApplication.run(QuerySideApplication.class, args);
        } catch (RuntimeException failed) {
            // Logged by Spring Boot; threads a half-started context leaves behind would keep the process up for good.
            System.exit(1);
        }
    }

    /** Decides when a key counts as expired in responses and in the validator. */
    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    /**
     * OUT_OF_SERVICE while this service's replica is not current (replaying the event log after a crash, or cut off
     * from the store): {@code POST /v1/validate}, which edges fall back on, and developers' admin keys are answered 503
     * meanwhile. Not in the readiness group: reads of keys and usage come from the read models and go on.
     */
    @Bean
    HealthIndicator replicaHealthIndicator(KeyValidator validator) {
        return () -> ReplicaHealth.of(validator, validator.isCurrent()).build();
    }

    /**
     * The replica processor keeps its token in memory, started from the replica snapshot's position: each query side
     * tracks the log on its own, none waits for another's claim. (Failures propagate for every projection:
     * service-support.)
     */
    @Bean
    ConfigurerModule processingConfiguration(ReplicaSnapshot snapshot) {
        return configurer -> configurer.eventProcessing()
                .registerTokenStore(ActiveKeyReplicaProjection.GROUP, c -> snapshot.tokenStore());
    }
}
