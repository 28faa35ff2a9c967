package io.latchkey.command;

import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.command.caching.LruCache;
import java.time.Clock;
import java.time.Duration;
import org.axonframework.common.caching.Cache;
import org.axonframework.eventsourcing.EventCountSnapshotTriggerDefinition;
import org.axonframework.eventsourcing.SnapshotTriggerDefinition;
import org.axonframework.eventsourcing.Snapshotter;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * The command side: REST commands, the DeveloperAccount, ApiKey and KeyUsage aggregates, and the expiry schedule.
 */
@SpringBootApplication
@EnableScheduling
public class CommandSideApplication {

    /** How many aggregates of each type the command side keeps in memory. */
    private static final String AGGREGATE_CACHE_SIZE = "${latchkey.command.aggregate-cache-size:10000}";

    public static void main(String[] args) {
        try {
            SpringApplication.run(CommandSideApplication.class, args);
        } catch (RuntimeException failed) {
            // Logged by Spring Boot; threads a half-started context leaves behind would keep the process up for good.
            System.exit(1);
        }
    }

    /**
     * Aggregates never read a clock; every "now" comes from here through a command. To the millisecond, as the read
     * models and the answers keep times: a registration's answer said ...104953875Z where later reads said ...104Z.
     */
    @Bean
    Clock clock() {
        return Clock.tick(Clock.systemUTC(), Duration.ofMillis(1));
    }

    /** Usage streams grow by an event per edge per flush: start from a snapshot, and keep busy ones in memory. */
    @Bean
    SnapshotTriggerDefinition keyUsageSnapshotTrigger(Snapshotter snapshotter) {
        return new EventCountSnapshotTriggerDefinition(snapshotter, 200);
    }

    /** A key's own stream grows by its management changes: one with thousands starts from a snapshot. */
    @Bean
    SnapshotTriggerDefinition apiKeySnapshotTrigger(Snapshotter snapshotter) {
        return new EventCountSnapshotTriggerDefinition(snapshotter, 100);
    }

    @Bean
    Cache keyUsageCache(@Value(AGGREGATE_CACHE_SIZE) int size) {
        return new LruCache(size);
    }

    /**
     * Recently used keys and developers stay in memory: loading one reads its snapshot and events from the store, two
     * round trips, and in a unit of work Axon also lists every event staged there so far.
     */
    @Bean
    Cache apiKeyCache(@Value(AGGREGATE_CACHE_SIZE) int size) {
        return new LruCache(size);
    }

    @Bean
    Cache developerCache(@Value(AGGREGATE_CACHE_SIZE) int size) {
        return new LruCache(size);
    }

    @Bean
    KeyFormat keyFormat(@Value("${latchkey.key-environment:live}") String environment) {
        return KeyFormat.forEnvironment(environment);
    }

    @Bean
    KeyHasher keyHasher(@Value("${latchkey.pepper:}") String pepper) {
        return KeyHasher.forPepper(pepper);
    }
}
