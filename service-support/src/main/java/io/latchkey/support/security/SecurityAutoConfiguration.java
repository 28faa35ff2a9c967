package io.latchkey.support.security;

import io.latchkey.support.web.RequestContextFilter;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;

/** Resolves the operator token at start-up and guards {@code /v1/*}. */
@AutoConfiguration
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
            if (System.console() != null) {
                System.console().printf("Latchkey operator token: %s%n", token.reveal());
            }
        } else if (token.file() != null) {
            log.info("Operator token read from {}", token.file());
        }
        return token;
    }

    @Bean
    FilterRegistrationBean<RequestContextFilter> latchkeyRequestFilter(
            OperatorToken token, @Value("${latchkey.security.public-paths:/v1/validate}") List<String> publicPaths) {
        FilterRegistrationBean<RequestContextFilter> registration =
                new FilterRegistrationBean<>(new RequestContextFilter(token, publicPaths));
        registration.addUrlPatterns("/v1/*");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        return registration;
    }
}
