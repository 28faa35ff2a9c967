package io.latchkey.edge;

import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.spring.ReplicaHealth;
import java.time.Instant;
import java.util.Optional;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * OUT_OF_SERVICE while the local replica is not current (still filling, or further behind the event log than the
 * bound), so load balancers prefer edges that answer from their own replica; the details say why and who answers
 * meanwhile.
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
        boolean current = validator.isCurrent();
        String answering = current ? "replica"
                : fallback.map(ReplicaHealthIndicator::fallback).orElse("nobody: refusing with 503");
        return ReplicaHealth.of(validator, current).withDetail("answering", answering).build();
    }

    /**
     * Failures whose latest is a minute old or more are not told: the query side may have come back since, unasked,
     * as when the replica caught up first and nothing needed the fallback.
     */
    private static String fallback(QuerySideFallback fallback) {
        FailureLog.Failing failing = fallback.failing();
        return failing == null || System.currentTimeMillis() - failing.lastMillis() >= 60_000 ? "query-side fallback"
                : "query-side fallback, failing (" + failing.reason() + ") since "
                        + Instant.ofEpochMilli(failing.sinceMillis()) + ": refusing with 503";
    }
}
