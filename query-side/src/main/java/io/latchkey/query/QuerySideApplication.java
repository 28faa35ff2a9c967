package io.latchkey.query;

import java.time.Clock;
import org.axonframework.config.ConfigurerModule;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The query side: projections into MongoDB and the replicated map, REST queries and the validation fallback. */
@SpringBootApplication
@EnableScheduling
public class QuerySideApplication {

    public static void main(String[] args) {
        SpringApplication.run(QuerySideApplication.class, args);
    }

    /** Decides when a key counts as expired in responses and in the validator. */
    @Bean
    Clock clock() {
        return Clock.systemUTC();
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
