package io.latchkey.edge;

import io.latchkey.validator.KeyValidator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

/** OUT_OF_SERVICE until the local replica is complete, so load balancers send no traffic to a half-filled edge. */
@Component("replica")
class ReplicaHealthIndicator implements HealthIndicator {

    private final KeyValidator validator;

    ReplicaHealthIndicator(KeyValidator validator) {
        this.validator = validator;
    }

    @Override
    public Health health() {
        Health.Builder health = validator.replica().isReady() ? Health.up() : Health.outOfService();
        return health.withDetail("entries", validator.replica().size()).build();
    }
}
