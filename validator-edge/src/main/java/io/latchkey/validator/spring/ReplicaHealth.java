package io.latchkey.validator.spring;

import io.latchkey.validator.KeyValidator;
import java.time.Duration;
import org.springframework.boot.actuate.health.Health;

/**
 * A validating service's health as its replica makes it: OUT_OF_SERVICE while the copy is not current (still filling,
 * hashing with another pepper than the installation's, or further behind the event log than the bound), when every
 * well-formed key is refused with 503, so that load balancers send the traffic to an instance that can decide it;
 * with how full and how far behind the copy is, and then why.
 */
public final class ReplicaHealth {

    private ReplicaHealth() {
    }

    /** {@code current}: what the caller found {@link KeyValidator#isCurrent()} to be, once, for all it says. */
    public static Health.Builder of(KeyValidator validator, boolean current) {
        Duration lag = validator.lag();
        Health.Builder health = (current ? Health.up() : Health.outOfService())
                .withDetail("entries", validator.replica().size())
                .withDetail("complete", validator.replica().isReady())
                .withDetail("lagMillis", lag == null ? "unknown" : lag.toMillis());
        String why = current ? null : validator.whyNotCurrent();
        return why == null ? health : health.withDetail("notCurrent", why);
    }
}
