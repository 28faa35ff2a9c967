package io.latchkey.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** {@code latchkey.edge.fallback-url}: the query side's validation endpoint, asked while the replica is incomplete. */
@Configuration
class EdgeConfiguration {

    @Bean
    @ConditionalOnProperty("latchkey.edge.fallback-url")
    QuerySideFallback querySideFallback(Environment environment, ObjectMapper json) {
        return new QuerySideFallback(URI.create(environment.getRequiredProperty("latchkey.edge.fallback-url")), json);
    }
}
