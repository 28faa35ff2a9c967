package io.latchkey.validator.spring;

import io.latchkey.validator.KeyValidator;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;

/**
 * The replica as an operator watches it, on every service that validates: size, completeness, whether decisions are
 * trusted, and the lag behind the event log (NaN until a writer has confirmed anything).
 */
class ReplicaMetrics implements MeterBinder {

    private final KeyValidator validator;

    ReplicaMetrics(KeyValidator validator) {
        this.validator = validator;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("latchkey.replica.entries", validator, v -> v.replica().size())
                .description("Entries in this member's replica, tombstones included").register(registry);
        Gauge.builder("latchkey.replica.ready", validator, v -> v.replica().isReady() ? 1 : 0)
                .description("1 once this member's replica is complete").register(registry);
        Gauge.builder("latchkey.replica.current", validator, v -> v.isCurrent() ? 1 : 0)
                .description("1 while decisions come from this replica: complete and within the lag bound")
                .register(registry);
        Gauge.builder("latchkey.replica.lag", validator, ReplicaMetrics::lagSeconds)
                .description("How far this replica is behind the event log").baseUnit("seconds").register(registry);
    }

    private static double lagSeconds(KeyValidator validator) {
        Duration lag = validator.lag();
        return lag == null ? Double.NaN : lag.toNanos() / 1e9;
    }
}
