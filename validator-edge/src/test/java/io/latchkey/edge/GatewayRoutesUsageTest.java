package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.secret.KeyFormat;
import io.latchkey.validator.KeyReplica;
import io.latchkey.validator.KeyValidator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the gateway routes count for usage, read back from the counter's report as the command side would get it. */
class GatewayRoutesUsageTest {

    /** A complete replica that holds no key: every key is unknown to it. */
    private static final KeyReplica EMPTY = new EmptyReplica(true, Instant.EPOCH);

    private static final Instant NOW = Instant.parse("2030-01-01T10:15:20Z");

    private final UsageCounter counter = new UsageCounter(Clock.fixed(NOW, ZoneOffset.UTC));
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final GatewayRoutes routes = new GatewayRoutes(KeyValidator.builder().replica(EMPTY).maxLag(null).build(),
            Optional.empty(), new EdgeMetrics(meters), Optional.of(counter));

    private int authorize(String key, String originalUri) {
        Map<String, List<String>> headers = Map.of("Authorization", List.of("Bearer " + key),
                "X-Original-URI", List.of(originalUri));
        return routes.answer("GET", "/authorize", null, name -> headers.getOrDefault(name, List.of()), Runnable::run,
                true).toCompletableFuture().join().status();
    }

    private static UsageCounter.Bucket bucket(String endpoint, String outcome) {
        return new UsageCounter.Bucket(UsageCounter.UNKNOWN_KEY, NOW.getEpochSecond() / 60, endpoint, outcome);
    }

    /** The listener's own 503, when every thread that may wait for the query side is taken, is counted too. */
    @Test
    void aBusyAnswerIsCountedAsUnavailableInUsageAndMetrics() {
        assertThat(routes.busy().status()).isEqualTo(503);

        assertThat(counter.report(10)).singleElement().satisfies(unknown -> assertThat(unknown.gains())
                .containsOnlyKeys(bucket(UsageCounter.NO_ENDPOINT, "unavailable")));
        assertThat(meters.find("latchkey.decisions.unavailable").counter().count()).isEqualTo(1);
    }

    @Test
    void aKeyInTheOriginalPathIsRefusedAndCountedWithoutThePath() {
        String key = KeyFormat.forEnvironment("live").generate();

        assertThat(authorize(key, "/v1/files/" + key + "/download?page=2")).isEqualTo(400);
        assertThat(authorize(key, "/v1/files/" + key + "/download?api_key=" + key)).as("in path and query")
                .isEqualTo(400);
        assertThat(authorize(key, "/v1/files/report/download?api_key=" + key)).as("in the query only").isEqualTo(400);
        assertThat(authorize(key, "/v1/files/report/download")).isEqualTo(401);

        List<UsageCounter.KeyReport> report = counter.report(10);
        assertThat(report).singleElement().satisfies(unknown -> assertThat(unknown.gains())
                .containsOnlyKeys(bucket(UsageCounter.NO_ENDPOINT, "key_in_path"),
                        bucket("/v1/files/report/download", "key_in_query"),
                        bucket("/v1/files/report/download", "not_found"))
                .containsEntry(bucket(UsageCounter.NO_ENDPOINT, "key_in_path"), 2L));
        assertThat(report.toString()).doesNotContain(key);
    }
}
