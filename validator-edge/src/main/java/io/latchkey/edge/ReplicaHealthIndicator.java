package io.latchkey.edge;

import io.latchkey.validator.KeyValidator;
import java.util.Optional;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * OUT_OF_SERVICE until the local replica is complete, so load balancers prefer complete edges; the details say who
 * answers meanwhile.
 */
@Component("replica")
class ReplicaHealthIndicator implements HealthIndicator {

    private final KeyValidator validator;
    private final Optional<QuerySideFallback> fallback;

    ReplicaHealthIndicator(KeyValidator validator, Optional<QuerySideFallback> fallback) {
        this.validator = validator;
        this.fallback = fallback;
    }

    @Override
    public Health health() {
        boolean ready = validator.replica().isReady();
        Health.Builder health = ready ? Health.up() : Health.outOfService();
        String answering = ready ? "replica" : fallback.map(f -> "query-side fallback").orElse("nobody: refusing with 503");
        return health.withDetail("entries", validator.replica().size()).withDetail("answering", answering).build();
    }
}
