package io.latchkey.command;

import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHasher;
import java.time.Clock;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The command side: REST commands, the DeveloperAccount and ApiKey aggregates, and the expiry schedule. */
@SpringBootApplication
@EnableScheduling
public class CommandSideApplication {

    public static void main(String[] args) {
        SpringApplication.run(CommandSideApplication.class, args);
    }

    /** Aggregates never read a clock; every "now" comes from here through a command. */
    @Bean
    Clock clock() {
        return Clock.systemUTC();
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
