package io.latchkey.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * {@code latchkey.edge.fallback-url}: the query side's validation endpoint, asked while the replica is incomplete.
 * {@code latchkey.usage.command-url}: the command side that usage reports go to, every
 * {@code latchkey.usage.flush-interval} (1 s), with {@code latchkey.usage.token}, else {@code LATCHKEY_OPERATOR_TOKEN},
 * else the operator token file of {@code latchkey.data-dir}; without a command side decisions are not counted.
 */
@Configuration
class EdgeConfiguration {

    @Bean
    @ConditionalOnProperty("latchkey.edge.fallback-url")
    QuerySideFallback querySideFallback(Environment environment, ObjectMapper json) {
        return new QuerySideFallback(URI.create(environment.getRequiredProperty("latchkey.edge.fallback-url")), json);
    }

    @Bean
    @ConditionalOnProperty("latchkey.usage.command-url")
    UsageCounter usageCounter(ObjectProvider<Clock> clock) {
        return new UsageCounter(clock.getIfAvailable(Clock::systemUTC));
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnProperty("latchkey.usage.command-url")
    UsageReporter usageReporter(UsageCounter counter, Environment environment, ObjectMapper json) {
        Duration interval = environment.getProperty("latchkey.usage.flush-interval", Duration.class,
                Duration.ofSeconds(1));
        return new UsageReporter(counter, URI.create(environment.getRequiredProperty("latchkey.usage.command-url")),
                usageToken(environment), json, interval);
    }

    @Bean
    @ConditionalOnProperty("latchkey.usage.command-url")
    MeterBinder usageMetrics(UsageCounter counter, UsageReporter reporter) {
        return registry -> {
            FunctionCounter.builder("latchkey.usage.report.failures", reporter, UsageReporter::failures)
                    .description("Usage reports the command side did not acknowledge (each is sent again)")
                    .register(registry);
            FunctionCounter.builder("latchkey.usage.report.rejected", reporter, UsageReporter::rejected)
                    .description("Usage reports the command side refused as invalid (their counts are dropped)")
                    .register(registry);
            Gauge.builder("latchkey.usage.counters", counter, UsageCounter::size)
                    .description("Usage counters held by this edge, reported or not")
                    .register(registry);
        };
    }

    /** The operator token the command side accepts: configured, or the one embedded mode keeps in the data dir. */
    private static String usageToken(Environment environment) {
        String configured = environment.getProperty("latchkey.usage.token",
                environment.getProperty("latchkey.operator-token", ""));
        if (!configured.isBlank()) {
            return configured.strip();
        }
        Path file = Path.of(environment.getProperty("latchkey.data-dir", "data")).resolve("operator-token");
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("latchkey.usage.token is not set and " + file.toAbsolutePath()
                    + " cannot be read", e);
        }
    }
}
