package io.latchkey.validator.spring;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.edge.EdgeApplication;
import io.latchkey.edge.UsageReporting;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.QuotaLimiter;
import io.latchkey.validator.RateLimiter;
import io.latchkey.validator.UsageRecorder;
import io.latchkey.validator.redis.ExactRedisRateLimiter;
import io.latchkey.validator.redis.LocalSyncRateLimiter;
import io.latchkey.validator.redis.RedisQuotaLimiter;
import io.latchkey.validator.redis.RedisLink;
import io.latchkey.validator.redis.RedisWarmUp;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.latchkey.validator.hazelcast.HazelcastKeyReplica;
import io.latchkey.validator.servlet.KeyAuthenticationFilter;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.autoconfigure.hazelcast.HazelcastConfigResourceCondition;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;

/** Makes the service a replica member and gives it a {@link KeyValidator}. Off with {@code latchkey.validator.enabled=false}. */
@AutoConfiguration(beforeName = "org.springframework.boot.autoconfigure.hazelcast.HazelcastAutoConfiguration")
@ConditionalOnProperty(name = "latchkey.validator.enabled", matchIfMissing = true)
@EnableConfigurationProperties(LatchkeyValidatorProperties.class)
public class LatchkeyValidatorAutoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(LatchkeyValidatorAutoConfiguration.class);

    /**
     * The configuration of the service's Hazelcast member, which Spring Boot's auto-configuration then starts, unless
     * the application configures a Hazelcast of its own (a {@code Config} or {@code HazelcastInstance} bean, or a
     * configuration file Spring Boot would read): that one is then left to Spring Boot, and the validator gets a
     * member of its own ({@link ReplicaMember}).
     */
    @Bean
    @ConditionalOnMissingBean({Config.class, HazelcastInstance.class})
    @Conditional(NoHazelcastConfigFile.class)
    Config hazelcastConfig(LatchkeyValidatorProperties properties,
                           @Value("${spring.application.name:latchkey}") String applicationName) {
        return properties.hazelcast().cluster().memberConfig(instanceName(applicationName));
    }

    /**
     * Unique: Spring Boot reuses an existing member of the same instance name (getOrCreateHazelcastInstance), which
     * would put a second application context of this JVM into the first one's cluster.
     */
    private static String instanceName(String applicationName) {
        return applicationName + "-" + UUID.randomUUID();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(KeyValidator.class)
    ReplicaMember latchkeyReplicaMember(ObjectProvider<HazelcastInstance> application,
                                        LatchkeyValidatorProperties properties,
                                        @Value("${spring.application.name:latchkey}") String applicationName) {
        return ReplicaMember.of(application.getIfUnique(), properties.hazelcast().cluster(),
                instanceName(applicationName));
    }

    @Bean
    @ConditionalOnMissingBean
    KeyHasher keyHasher(LatchkeyValidatorProperties properties) {
        return KeyHasher.forPepper(properties.pepper());
    }

    /**
     * Refuses to start with filter settings that would protect nothing without a word: a {@code latchkey.filter}
     * property this release does not know (a misspelt {@code url-pattern}), settings without
     * {@code url-patterns}, or a pattern the servlet container does not read as meant ({@code /orders/**}, which it
     * takes as that exact path, not the paths under {@code /orders}); or {@code latchkey.usage.command-url} without
     * {@code url-patterns}, which would report nothing, or without the usage token its reports need. Before any bean
     * is made, so that the member never joins the replica cluster only to leave it.
     */
    @Bean
    static BeanFactoryPostProcessor latchkeyFilterSettings(Environment environment) {
        return factory -> {
            Binder binder = Binder.get(environment);
            FilterSettings.check(binder);
            // The edge reports its own answers to the same command-url, with no filter of this configuration.
            if (factory.getBeanNamesForType(EdgeApplication.class, false, false).length == 0) {
                FilterSettings.checkUsage(binder);
            }
            // Registered only where the filter reports through it: not beside a recorder of the application's.
            if (factory.containsBeanDefinition("latchkeyUsageReporting")) {
                UsageReporting.requiredToken(binder.bind("latchkey.usage.token", String.class).orElse(null));
            }
        };
    }

    /**
     * With {@code latchkey.filter.url-patterns} set (e.g. {@code /api/*}), those paths need a key; the scope is
     * read for GET/HEAD/OPTIONS and write otherwise, on {@code latchkey.filter.resource} when set; the filter runs at
     * {@code latchkey.filter.order} among the servlet filters (default: last, after Spring Security's chain at -100).
     * A CORS preflight passes without a key where Spring MVC answers it ({@code latchkey.filter.pass-cors-preflights},
     * by default whether Spring MVC is there). A bean of the application's named {@code latchkeyKeyFilter} takes its
     * place. Nested, so that applications without the Servlet API never load it.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "jakarta.servlet.Filter")
    @Conditional(UrlPatternsSet.class)
    static class ServletFilterConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "latchkeyKeyFilter")
        FilterRegistrationBean<KeyAuthenticationFilter> latchkeyKeyFilter(
                KeyValidator validator, Environment environment,
                @Value("${latchkey.filter.resource:}") String resource,
                @Value("${latchkey.filter.order:" + Ordered.LOWEST_PRECEDENCE + "}") int order,
                @Value("${latchkey.filter.pass-cors-preflights:#{null}}") Boolean passCorsPreflights,
                ObjectProvider<UsageRecorder> usage, ObjectProvider<RateLimiter> rateLimiter,
                ObjectProvider<QuotaLimiter> quotaLimiter) {
            String[] patterns = FilterSettings.urlPatterns(Binder.get(environment)).orElseThrow();
            // Off by default: the filter admits what a key's limits or used-up quota refuse, and nothing would tell.
            if (rateLimiter.getIfAvailable() == null && quotaLimiter.getIfAvailable() == null) {
                log.warn("latchkey.rate-limit.mode is off: the key filter on {} enforces no key's rate limit or "
                        + "monthly quota", String.join(", ", patterns));
            }
            boolean preflights = passCorsPreflights != null ? passCorsPreflights
                    : ClassUtils.isPresent("org.springframework.web.servlet.DispatcherServlet", null);
            FilterRegistrationBean<KeyAuthenticationFilter> registration = new FilterRegistrationBean<>(
                    new KeyAuthenticationFilter(validator, KeyAuthenticationFilter.readWriteScopes(resource),
                            preflights, usage.getIfAvailable()));
            registration.addUrlPatterns(patterns);
            registration.setOrder(order);
            return registration;
        }

        /**
         * With {@code latchkey.usage.command-url}, the filter's answers are counted and reported to the installation
         * as an edge's are, with the usage token {@code latchkey.usage.token}. A {@link UsageRecorder} bean of the
         * application's takes its place.
         */
        @Bean(destroyMethod = "close")
        @ConditionalOnProperty("latchkey.usage.command-url")
        @ConditionalOnMissingBean(UsageRecorder.class)
        UsageReporting latchkeyUsageReporting(@Value("${latchkey.usage.command-url}") URI commandSide,
                                              @Value("${latchkey.usage.token:}") String token) {
            return UsageReporting.start(commandSide, token);
        }

        /** The service's health says when the filter refuses every key (nested: actuator may be absent). */
        @Configuration(proxyBeanMethods = false)
        @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
        static class ReplicaHealthConfiguration {

            @Bean
            @ConditionalOnMissingBean(name = "latchkeyHealthIndicator")
            HealthIndicator latchkeyHealthIndicator(KeyValidator validator) {
                return () -> ReplicaHealth.of(validator, validator.isCurrent()).build();
            }
        }
    }

    /** With Redis-backed limiters, made once they are warmed up ({@link RedisWarmUp}), as is the edge's listener. */
    @Bean
    @ConditionalOnMissingBean
    KeyValidator keyValidator(ReplicaMember member, KeyHasher hasher, ObjectProvider<Clock> clock,
                              ObjectProvider<RateLimiter> rateLimiter, ObjectProvider<QuotaLimiter> quotaLimiter,
                              ObjectProvider<RedisWarmUp.Outcome> warmedUp, LatchkeyValidatorProperties properties) {
        // Asked for its order alone: the validator, and the edge's listener made with it, come after the warm-up.
        warmedUp.getIfAvailable();
        return KeyValidator.builder()
                .replica(HazelcastKeyReplica.of(member.hazelcast()))
                .hasher(hasher)
                // The application's clock when it has one (several: its primary one, else the system's).
                .clock(clock.getIfUnique(Clock::systemUTC))
                .maxLag(properties.replica().maxLag())
                .rateLimiter(rateLimiter.getIfAvailable())
                .quotaLimiter(quotaLimiter.getIfAvailable())
                .build();
    }

    /** {@code latchkey.rate-limit.mode} exact or local-sync: Redis-backed rate and quota limiters. */
    @Configuration(proxyBeanMethods = false)
    @Conditional(RateLimitOn.class)
    static class RateLimitConfiguration {

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        RedisLink latchkeyRedisLink(LatchkeyValidatorProperties properties) {
            LatchkeyValidatorProperties.RateLimit settings = properties.rateLimit();
            return RedisLink.open(settings.redis(), settings.redisBudget(), settings.redisPause());
        }

        @Bean
        @ConditionalOnMissingBean
        RateLimiter latchkeyRateLimiter(RedisLink link, LatchkeyValidatorProperties properties) {
            LatchkeyValidatorProperties.RateLimit settings = properties.rateLimit();
            return settings.mode() == LatchkeyValidatorProperties.RateLimit.Mode.LOCAL_SYNC
                    ? new LocalSyncRateLimiter(link, settings.syncInterval())
                    : new ExactRedisRateLimiter(link);
        }

        /**
         * The limiters' Redis calls warmed up, for {@code latchkey.rate-limit.warm-up} at most: a singleton, so made
         * before the servlet container takes requests, and before any bean that asks for it (the validator).
         */
        @Bean
        RedisWarmUp.Outcome latchkeyRedisWarmUp(RedisLink link, ObjectProvider<RateLimiter> rateLimiter,
                                                ObjectProvider<QuotaLimiter> quotaLimiter,
                                                LatchkeyValidatorProperties properties) {
            RedisWarmUp.Outcome outcome = RedisWarmUp.run(link, rateLimiter.getIfAvailable(),
                    quotaLimiter.getIfAvailable(), properties.rateLimit().warmUp());
            if (outcome.complete()) {
                log.info("Warmed up the rate and quota limiters' Redis calls: {}", outcome);
            } else if (!properties.rateLimit().warmUp().isZero()) {
                log.warn("The rate and quota limiters' Redis calls were warmed up only in part ({}): Redis "
                        + "unreachable, or the host too busy to answer within the budget; the first decisions may be "
                        + "made without Redis (latchkey.rate-limit.warm-up sets the time allowed)", outcome);
            }
            return outcome;
        }

        /** Quotas follow the rate-limit mode: counted in Redis per request (exact) or from leases (local-sync). */
        @Bean
        @ConditionalOnMissingBean
        QuotaLimiter latchkeyQuotaLimiter(RedisLink link, LatchkeyValidatorProperties properties) {
            return properties.rateLimit().mode() == LatchkeyValidatorProperties.RateLimit.Mode.LOCAL_SYNC
                    ? RedisQuotaLimiter.leased(link)
                    : RedisQuotaLimiter.exact(link);
        }
    }

    /** {@code latchkey.filter.url-patterns} set in any form: a list in YAML, a comma-separated value, a variable. */
    static final class UrlPatternsSet extends SpringBootCondition {

        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return FilterSettings.configured(Binder.get(context.getEnvironment()))
                    ? ConditionOutcome.match("latchkey.filter.url-patterns is set")
                    : ConditionOutcome.noMatch("latchkey.filter.url-patterns is not set");
        }
    }

    /**
     * Matches when {@code latchkey.rate-limit.mode} binds to a mode other than off, as the properties bind it: YAML
     * reads a bare {@code off} as the boolean false, which a test of the raw text would take for a mode.
     */
    static final class RateLimitOn extends SpringBootCondition {

        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            LatchkeyValidatorProperties.RateLimit.Mode mode = Binder.get(context.getEnvironment())
                    .bind("latchkey.rate-limit.mode", LatchkeyValidatorProperties.RateLimit.Mode.class)
                    .orElse(LatchkeyValidatorProperties.RateLimit.Mode.OFF);
            return mode == LatchkeyValidatorProperties.RateLimit.Mode.OFF
                    ? ConditionOutcome.noMatch("latchkey.rate-limit.mode is off")
                    : ConditionOutcome.match("latchkey.rate-limit.mode is " + mode);
        }
    }

    /** Matches when none of the files or properties holds a Hazelcast configuration that Spring Boot would read. */
    static final class NoHazelcastConfigFile extends SpringBootCondition {

        /** Spring Boot's own conditions for a member's and a client's configuration files. */
        private static final class ConfigFile extends HazelcastConfigResourceCondition {
            ConfigFile(String systemProperty, String name) {
                super(systemProperty, "file:./" + name + ".xml", "classpath:/" + name + ".xml",
                        "file:./" + name + ".yaml", "classpath:/" + name + ".yaml", "file:./" + name + ".yml",
                        "classpath:/" + name + ".yml");
            }
        }

        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            for (ConfigFile file : List.of(new ConfigFile("hazelcast.config", "hazelcast"),
                    new ConfigFile("hazelcast.client.config", "hazelcast-client"))) {
                ConditionOutcome found = file.getMatchOutcome(context, metadata);
                if (found.isMatch()) {
                    return ConditionOutcome.noMatch(found.getConditionMessage());
                }
            }
            return ConditionOutcome.match("no Hazelcast configuration file of the application");
        }
    }

    /** Replica gauges on whatever registry the service has; nested so services without Micrometer never load it. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
    static class ReplicaMetricsConfiguration {

        @Bean
        ReplicaMetrics latchkeyReplicaMetrics(KeyValidator validator) {
            return new ReplicaMetrics(validator);
        }

        @Bean
        MeterBinder latchkeyRateLimitMetrics(ObjectProvider<RedisLink> link) {
            return registry -> link.ifAvailable(redis -> {
                FunctionCounter.builder("latchkey.ratelimit.degraded", redis, RedisLink::degraded)
                        .description("Rate-limit and quota answers made without Redis because it was down or slow; a "
                                + "request whose key has both a rate limit and a quota counts once for each")
                        .register(registry);
                // The counter adds up decisions; this says how Redis answered the latest calls to it.
                Gauge.builder("latchkey.ratelimit.redis.answering", redis, r -> r.answeringInTime() ? 1 : 0)
                        .description("1 while Redis answered its latest calls within its budget; 0 from a missed "
                                + "budget until replies come in time again, and while it is down. Moves only with "
                                + "calls to Redis: limited keys' traffic, and local-sync's background syncs")
                        .register(registry);
            });
        }
    }
}
