package io.latchkey.edge;

import io.latchkey.validator.Decision;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * What an operator watches on an edge: decisions by status and by who answered (replica or query-side fallback),
 * validation latency as a histogram (the replica's own gauges come with the validator's auto-configuration). Tags never carry a key, a key id or a developer id.
 */
@Component
class EdgeMetrics {

    enum Source { REPLICA, FALLBACK }

    private final Map<Source, Map<Decision.Status, Counter>> decisions = new EnumMap<>(Source.class);
    /** Why a call to the query-side fallback gave no decision: the tag's values, each counted from 0. */
    static final List<String> FALLBACK_FAILURES = List.of("unreachable", "timeout", "refused", "status", "unreadable",
            "paused");

    private final Map<String, Counter> fallbackFailures = new HashMap<>();
    private final Counter unavailable;
    private final Timer validation;
    private final MeterRegistry registry;

    EdgeMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Source source : Source.values()) {
            Map<Decision.Status, Counter> bySource = new EnumMap<>(Decision.Status.class);
            for (Decision.Status status : Decision.Status.values()) {
                bySource.put(status, Counter.builder("latchkey.decisions")
                        .description("Authorization decisions by outcome and by who decided")
                        .tag("status", status.name()).tag("source", source.name().toLowerCase())
                        .register(registry));
            }
            decisions.put(source, bySource);
        }
        unavailable = Counter.builder("latchkey.decisions.unavailable")
                .description("Requests refused with 503: replica incomplete and no fallback answer")
                .register(registry);
        for (String reason : FALLBACK_FAILURES) {
            fallbackFailures.put(reason, Counter.builder("latchkey.fallback.failures")
                    .description("Calls to the query-side fallback that gave no decision, by reason: unreachable, "
                            + "timeout, refused (the token), status (another answer than 200), unreadable, paused "
                            + "(not asked: for a second after a timeout, then while another call tries again)")
                    .tag("reason", reason).register(registry));
        }
        validation = Timer.builder("latchkey.validation")
                .description("Time to decide, from the key to the decision (replica or fallback)")
                .publishPercentileHistogram()
                // A timer's buckets start at 1 ms by default, where a decision from the replica takes microseconds.
                .minimumExpectedValue(Duration.ofNanos(1_000))
                .register(registry);
    }

    void decided(Source source, Decision decision, long nanos) {
        decisions.get(source).get(decision.status()).increment();
        validation.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void unavailable() {
        unavailable.increment();
    }

    /** A call to the query-side fallback that gave no decision, by one of {@link #FALLBACK_FAILURES}. */
    void fallbackFailed(String reason) {
        fallbackFailures.get(reason).increment();
    }

    /**
     * The gateway listener's connections: open, opened and refused over its maximum. A gateway that opens about as
     * many connections as it sends checks is not keeping them alive, and pays a handshake for each check.
     */
    void watch(GatewayServer gateway) {
        Gauge.builder("latchkey.gateway.connections", gateway, GatewayServer::openConnections)
                .description("Connections open on the gateway listener").register(registry);
        FunctionCounter.builder("latchkey.gateway.connections.opened", gateway, GatewayServer::connectionsOpened)
                .description("Connections the gateway listener accepted").register(registry);
        FunctionCounter.builder("latchkey.gateway.connections.refused", gateway, GatewayServer::connectionsRefused)
                .description("Connections closed as accepted: the listener had its maximum open")
                .register(registry);
    }
}
