package io.latchkey.support.security;

import io.latchkey.support.events.EventWindows;
import io.latchkey.support.web.RequestContextFilter;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.spring.LatchkeyValidatorAutoConfiguration;
import java.io.Console;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;

/** Resolves the operator token at start-up and guards {@code /v1/*}. */
@AutoConfiguration(after = LatchkeyValidatorAutoConfiguration.class)
public class SecurityAutoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecurityAutoConfiguration.class);

    @Bean
    OperatorToken operatorToken(@Value("${latchkey.operator-token:}") String configured,
                                @Value("${latchkey.data-dir:data}") String dataDir,
                                @Value("${axon.axonserver.enabled:true}") boolean distributed) {
        OperatorToken token = OperatorToken.resolve(configured, Path.of(dataDir).toAbsolutePath(), !distributed);
        if (token.generated()) {
            log.info("Generated the operator token, stored owner-readable only in {}", token.file());
            // Shown once, and only on an interactive console: stdout redirected to a file would put it in a log.
            Console console = System.console();
            if (console != null && isTerminal(console)) {
                console.printf("Latchkey operator token: %s%n", token.reveal());
            }
        } else if (token.file() != null) {
            log.info("Operator token read from {}", token.file());
        }
        return token;
    }

    /**
     * Whether the console is a terminal. From Java 22 {@link System#console()} returns a console also when the output
     * is redirected, and only {@code Console.isTerminal()} (new in 22) tells; before 22 a console is a terminal.
     */
    static boolean isTerminal(Console console) {
        try {
            return (boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException beforeJava22) {
            return true;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    /** What text kept in events must not hold; the command side's controllers screen free text with it. */
    @Bean
    CredentialScreen credentialScreen(OperatorToken token, @Value("${latchkey.usage.token:}") String usageToken,
                                      @Value("${latchkey.data-dir:data}") String dataDir,
                                      @Value("${axon.axonserver.enabled:true}") boolean distributed) {
        return CredentialScreen.of(token, usageToken(usageToken, token, dataDir, distributed));
    }

    /** Through the requests' reader, which gives up within its bound where Axon's own client would wait 30 s. */
    private static KeyVersions keyVersions(EventWindows events) {
        return events == null ? null : keyId -> events.lastSequence(keyId).orElse(-1L);
    }

    /** Read where it is needed rather than made a bean: none configured in distributed mode is null. */
    private static UsageToken usageToken(String configured, OperatorToken token, String dataDir, boolean distributed) {
        return UsageToken.resolve(configured, token, Path.of(dataDir).toAbsolutePath(), !distributed);
    }

    /**
     * Developers' admin keys are accepted wherever this service embeds the validator (the default; off with
     * {@code latchkey.validator.enabled=false}, and then only the operator token authenticates). They are
     * authenticated by the service's validator, which takes nothing from its limiters for that: the key's own rate
     * limit is for traffic (the command side bounds a developer's changes with an allowance of its own). The key's
     * stream in the event store tells when the replica has not caught up with a change already answered.
     */
    @Bean
    FilterRegistrationBean<RequestContextFilter> latchkeyRequestFilter(
            OperatorToken token, CredentialScreen screen, ObjectProvider<KeyValidator> embeddedValidator,
            ObjectProvider<EventWindows> eventWindows,
            @Value("${latchkey.security.public-paths:}") List<String> publicPaths,
            @Value("${latchkey.usage.token:}") String usageToken, @Value("${latchkey.data-dir:data}") String dataDir,
            @Value("${axon.axonserver.enabled:true}") boolean distributed) {
        KeyValidator embedded = embeddedValidator.getIfAvailable();
        DeveloperKeyAuthenticator developerKeys = embedded == null ? null
                : DeveloperKeyAuthenticator.over(embedded, keyVersions(eventWindows.getIfAvailable()));
        FilterRegistrationBean<RequestContextFilter> registration =
                new FilterRegistrationBean<>(new RequestContextFilter(token,
                        usageToken(usageToken, token, dataDir, distributed), screen, developerKeys, publicPaths));
        registration.addUrlPatterns("/v1/*");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        return registration;
    }
}
