package io.latchkey.validator.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import com.hazelcast.core.Hazelcast;
import io.latchkey.validator.LogCapture;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** Filter settings that would protect nothing, silently, stop the application at start. */
class FilterSettingsTest {

    private static Binder binder(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties));
    }

    @Test
    void patternsAreTakenInEveryFormSpringReads() {
        assertThat(FilterSettings.urlPatterns(binder(Map.of("latchkey.filter.url-patterns", "/orders/*, /invoices"))))
                .hasValueSatisfying(patterns -> assertThat(patterns).containsExactly("/orders/*", "/invoices"));
        Binder yamlList = binder(Map.of("latchkey.filter.url-patterns[0]", "/orders/*",
                "latchkey.filter.url-patterns[1]", "*.json", "latchkey.filter.resource", "orders"));
        FilterSettings.check(yamlList);
        assertThat(FilterSettings.urlPatterns(yamlList))
                .hasValueSatisfying(patterns -> assertThat(patterns).containsExactly("/orders/*", "*.json"));
        Binder camelCase = binder(Map.of("latchkey.filter.urlPatterns", "/*", "latchkey.filter.passCorsPreflights",
                "true"));
        FilterSettings.check(camelCase);
        assertThat(FilterSettings.urlPatterns(camelCase)).isPresent();
        // As environment variables: LATCHKEY_FILTER_URL_PATTERNS binds as url.patterns.
        Binder environment = new Binder(ConfigurationPropertySource.from(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of("LATCHKEY_FILTER_URL_PATTERNS",
                        "/orders/*", "LATCHKEY_FILTER_PASS_CORS_PREFLIGHTS", "true"))));
        FilterSettings.check(environment);
        assertThat(FilterSettings.urlPatterns(environment))
                .hasValueSatisfying(patterns -> assertThat(patterns).containsExactly("/orders/*"));
        FilterSettings.check(binder(Map.of()));
        assertThat(FilterSettings.urlPatterns(binder(Map.of()))).as("no filter asked for").isEmpty();
    }

    @Test
    void aMisspeltOrMissingPatternsPropertyStopsTheStart() {
        assertThatThrownBy(() -> FilterSettings.check(binder(Map.of("latchkey.filter.url-pattern", "/orders/*"))))
                .hasMessageContaining("latchkey.filter.url-pattern]");
        assertThatThrownBy(() -> FilterSettings.check(binder(Map.of("latchkey.filter.resource", "orders"))))
                .hasMessageContaining("without latchkey.filter.url-patterns");
    }

    @Test
    void aPatternTheContainerWouldMatchAsExactTextStopsTheStart() {
        for (String pattern : new String[] {"/orders/**", "/orders*", "orders/*", "/a/*/b", "*.", " , ", "/"}) {
            assertThatThrownBy(() -> FilterSettings.check(binder(Map.of("latchkey.filter.url-patterns", pattern))))
                    .as(pattern).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("latchkey.filter.url-patterns");
        }
    }

    @Test
    void anApplicationWithAMisspeltFilterSettingDoesNotStart() {
        String clusterName = "filter-" + UUID.randomUUID();
        ValidatorContexts.alone(clusterName)
                .withPropertyValues("latchkey.filter.url-pattern=/orders/*")
                .run(context -> {
                    assertThat(context).hasFailed().getFailure()
                            .hasStackTraceContaining("latchkey.filter.url-pattern]");
                    // Before any bean: the member never joined the replica cluster to leave it again.
                    assertThat(Hazelcast.getAllHazelcastInstances()).noneMatch(member ->
                            member.getConfig().getClusterName().equals(clusterName));
                });
    }

    /** Limits are off by default: a filter that enforces none says so, where a used-up quota would pass unseen. */
    @Test
    void aFilterThatEnforcesNoLimitsSaysSoAtStart() {
        try (LogCapture log = LogCapture.of(LatchkeyValidatorAutoConfiguration.class.getName())) {
            ValidatorContexts.alone("filter-" + UUID.randomUUID())
                    .withPropertyValues("latchkey.filter.url-patterns=/orders/*")
                    .run(context -> assertThat(context).hasNotFailed());
            assertThat(log.events()).anySatisfy(event -> {
                assertThat(event.getLevel()).isEqualTo(Level.WARN);
                assertThat(event.getFormattedMessage()).isEqualTo("latchkey.rate-limit.mode is off: the key filter "
                        + "on /orders/* enforces no key's rate limit or monthly quota");
            });
        }
    }
}
