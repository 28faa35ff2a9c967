package io.latchkey.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.RateLimiter;
import io.latchkey.validator.redis.RedisLink;
import io.latchkey.validator.servlet.ProblemReportValve;
import io.latchkey.validator.spring.Settings;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * {@code latchkey.edge.fallback-url}: the query side's validation endpoint, asked while the replica is incomplete.
 * {@code latchkey.usage.command-url}: the command side that usage reports go to, every
 * {@code latchkey.usage.flush-interval} (1 s); without a command side decisions are not counted. Both calls carry
 * {@code latchkey.usage.token}, else {@code LATCHKEY_OPERATOR_TOKEN}, else the usage token file of
 * {@code latchkey.data-dir} (embedded mode's services make it), else the operator token file there.
 */
@Configuration
class EdgeConfiguration {

    private static final Logger log = LoggerFactory.getLogger(EdgeConfiguration.class);

    /** The token both calls carry, found once: finding it may read a file, and it says where it came from. */
    private String token;

    /** Tomcat's own refusals as problems ({@link ProblemReportValve}). */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemReports() {
        return factory -> factory.addContextCustomizers(ProblemReportValve::install);
    }

    @Bean
    GatewayRoutes gatewayRoutes(KeyValidator validator, Optional<QuerySideFallback> fallback, EdgeMetrics metrics,
                                Optional<UsageCounter> usage, Optional<RateLimiter> rateLimiter) {
        // With latchkey.rate-limit.mode off this edge admits what a key's limits or used-up quota would refuse, and
        // nothing else would tell.
        if (rateLimiter.isEmpty()) {
            log.warn("latchkey.rate-limit.mode is off: this edge enforces no key's rate limit or monthly quota");
        }
        return new GatewayRoutes(validator, fallback, metrics, usage);
    }

    /** First in the chain, on every path: the gateway routes never reach Spring MVC (see {@link GatewayFilter}). */
    @Bean
    FilterRegistrationBean<GatewayFilter> gatewayFilter(GatewayRoutes routes) {
        FilterRegistrationBean<GatewayFilter> registration = new FilterRegistrationBean<>(new GatewayFilter(routes));
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        registration.addUrlPatterns("/*");
        registration.setDispatcherTypes(DispatcherType.REQUEST);
        return registration;
    }

    /**
     * {@code latchkey.edge.gateway-port} (0: any free port): the gateway routes alone on a Netty listener, the fast
     * path for gateways; {@code latchkey.edge.gateway-address} (all interfaces), {@code latchkey.edge.gateway-threads}
     * (one event loop per core), {@code latchkey.edge.gateway-request-timeout} (10 s for a request to arrive whole
     * from its first byte, the first from the connection's opening), {@code latchkey.edge.gateway-max-connections}
     * (10,000 open at once).
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnProperty("latchkey.edge.gateway-port")
    GatewayServer gatewayServer(GatewayRoutes routes, Environment environment, ObjectProvider<RedisLink> redis,
                                ObjectProvider<UsageReporter> usage, EdgeMetrics metrics) {
        // Made first (when usage is reported), so closed after the listener drains: its last report counts the drain.
        usage.getIfAvailable();
        GatewayServer server = new GatewayServer(routes,
                environment.getProperty("latchkey.edge.gateway-address", "0.0.0.0"),
                Settings.within("latchkey.edge.gateway-port",
                        environment.getRequiredProperty("latchkey.edge.gateway-port", Integer.class), 0, 65_535),
                Settings.atLeast("latchkey.edge.gateway-threads", environment.getProperty(
                        "latchkey.edge.gateway-threads", Integer.class, Runtime.getRuntime().availableProcessors()), 1),
                redis.getIfAvailable(),
                Settings.positive("latchkey.edge.gateway-request-timeout", environment.getProperty(
                        "latchkey.edge.gateway-request-timeout", Duration.class, Duration.ofSeconds(10))),
                Settings.atLeast("latchkey.edge.gateway-max-connections", environment.getProperty(
                        "latchkey.edge.gateway-max-connections", Integer.class, 10_000), 1));
        metrics.watch(server);
        return server;
    }

    @Bean
    @ConditionalOnProperty("latchkey.edge.fallback-url")
    QuerySideFallback querySideFallback(Environment environment, ObjectMapper json, EdgeMetrics metrics) {
        return new QuerySideFallback(URI.create(environment.getRequiredProperty("latchkey.edge.fallback-url")),
                token(environment), json, metrics);
    }

    /**
     * Usage counting's time, read on every decision: from a coarse clock, since reading the clock costs more. Minutes
     * and a last-used time need no finer tick than a tenth of a second, and each tick wakes a thread, idle or not.
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnProperty("latchkey.usage.command-url")
    CoarseClock usageClock(ObjectProvider<Clock> clock) {
        return new CoarseClock(clock.getIfAvailable(Clock::systemUTC), Duration.ofMillis(100));
    }

    @Bean
    @ConditionalOnProperty("latchkey.usage.command-url")
    UsageCounter usageCounter(CoarseClock clock) {
        return new UsageCounter(clock);
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnProperty("latchkey.usage.command-url")
    UsageReporter usageReporter(UsageCounter counter, Environment environment, ObjectMapper json) {
        Duration interval = Settings.positive("latchkey.usage.flush-interval",
                environment.getProperty("latchkey.usage.flush-interval", Duration.class, Duration.ofSeconds(1)));
        Duration shutdownBudget = environment.getProperty("latchkey.usage.shutdown-budget", Duration.class,
                Duration.ofSeconds(10));
        if (shutdownBudget.isNegative()) {
            throw new IllegalArgumentException("latchkey.usage.shutdown-budget must not be negative (0: send nothing "
                    + "left at shutdown), got " + shutdownBudget);
        }
        return new UsageReporter(counter, URI.create(environment.getRequiredProperty("latchkey.usage.command-url")),
                token(environment), json, interval, shutdownBudget);
    }

    @Bean
    @ConditionalOnProperty("latchkey.usage.command-url")
    MeterBinder usageMetrics(UsageCounter counter, UsageReporter reporter) {
        return registry -> {
            for (String reason : UsageReporter.FAILURES) {
                FunctionCounter.builder("latchkey.usage.report.failures", reporter, sent -> sent.failures(reason))
                        .description("Usage reports that failed, by reason: unreachable, timeout, refused (the usage "
                                + "token), status (another answer than 200), too-large (a proxy's 413 answered by a "
                                + "smaller part; one that cannot be made smaller is a status), error (each is sent "
                                + "again)")
                        .tag("reason", reason).register(registry);
            }
            FunctionCounter.builder("latchkey.usage.report.rejected", reporter, UsageReporter::rejected)
                    .description("Usage reports the command side refused as invalid (their counts are dropped)")
                    .register(registry);
            FunctionCounter.builder("latchkey.usage.report.keys.refused", reporter, UsageReporter::refusedKeys)
                    .description("Keys of taken usage reports the command side refused as invalid (their counts are "
                            + "dropped; the rest of each report is recorded)")
                    .register(registry);
            FunctionCounter.builder("latchkey.usage.report.abandoned", reporter, UsageReporter::abandoned)
                    .description("Usage reports given up after an hour of resending (their counts are lost)")
                    .register(registry);
            FunctionCounter.builder("latchkey.usage.minutes.dropped", counter, UsageCounter::droppedUnreported)
                    .description("Minutes of usage dropped after " + UsageCounter.MAX_HELD_MINUTES
                            + " minutes of failing reports, or twice that while reports fall behind (a report still "
                            + "being resent may deliver part of one)")
                    .register(registry);
            Gauge.builder("latchkey.usage.counters", counter, UsageCounter::size)
                    .description("Usage counters held by this edge, reported or not")
                    .register(registry);
        };
    }

    private synchronized String token(Environment environment) {
        if (token == null) {
            token = edgeToken(environment);
        }
        return token;
    }

    /**
     * The token usage is reported and the fallback asked with: a configured one (the usage token, else the operator
     * token), else the data directory's (the usage token embedded mode's services keep there, else the operator
     * token), so that a configured credential is never passed over for a file left in a directory, and an edge beside
     * services of a release without a usage token still reports. Logs which, never its value.
     */
    static String edgeToken(Environment environment) {
        for (String property : List.of("latchkey.usage.token", "latchkey.operator-token")) {
            String configured = environment.getProperty(property, "");
            if (!configured.isBlank()) {
                log.info("Usage reports and the fallback carry {}", property);
                return UsageReporting.longEnough(property, configured.strip());
            }
        }
        Path dataDir = Path.of(environment.getProperty("latchkey.data-dir", "data"));
        for (String name : List.of("usage-token", "operator-token")) {
            Path file = dataDir.resolve(name);
            if (Files.isReadable(file)) {
                try {
                    String token = Files.readString(file).strip();
                    log.info("Usage reports and the fallback carry the token in {}", file.toAbsolutePath());
                    return token;
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + file.toAbsolutePath(), e);
                }
            }
        }
        throw new IllegalStateException("latchkey.usage.token is not set, nor latchkey.operator-token, and neither "
                + dataDir.resolve("usage-token").toAbsolutePath() + " nor the operator-token beside it can be read");
    }
}
