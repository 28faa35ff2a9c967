package io.latchkey.edge;

import io.latchkey.bench.ValidateBenchmark.Cursor;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What counting one decision for usage costs the request thread: {@link UsageCounter#record} with the endpoint taken
 * from a gateway's original URI (normalised: query dropped, ids folded), over 100 or 10,000 keys and a handful of
 * endpoints and outcomes, next to drawing the same inputs without counting; what counting adds is the difference.
 * Each call carries its share of the batch folds, which the calling thread makes every 64 decisions. Key
 * ids and URIs are new strings on every call, as in the edge, so no hash of theirs is cached. In package
 * {@code io.latchkey.edge} because the counter is package-private there.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar UsageCountingBenchmark -t 1 -rf json -rff usage-t1.json</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class UsageCountingBenchmark {

    private static final String[] URIS = {"/orders/12345?page=2", "/orders", "/customers/7d3f8a2e-0b1c/invoices",
            "/v2/search?q=shoes", "/health"};
    private static final String[] OUTCOMES = {"valid", "valid", "valid", "insufficient_scope", "rate_limited"};

    /** Keys in use: 100 stay in the CPU caches, 10,000 do not, as in production. */
    @Param({"100", "10000"})
    int keys;

    /** {@code fixed}: five URIs; {@code ids}: URIs with ids, each one seldom seen twice. */
    @Param({"fixed", "ids"})
    String uris;

    private boolean withIds;

    /** The edge's usage clock, as {@code EdgeConfiguration} makes it. */
    private final CoarseClock clock = new CoarseClock(Clock.systemUTC(), Duration.ofMillis(10));
    private final UsageCounter counter = new UsageCounter(clock);
    private UUID[] keyIds;

    @Setup
    public void keys() {
        withIds = uris.equals("ids");
        keyIds = new UUID[keys];
        for (int i = 0; i < keyIds.length; i++) {
            keyIds[i] = UUID.randomUUID();
        }
    }

    /** The key id made afresh, as the validator decodes it from the replica's entry for every decision. */
    private String keyId(int n) {
        UUID id = keyIds[n % keyIds.length];
        return new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits()).toString();
    }

    /**
     * The original URI made afresh, as the HTTP decoder makes a header's value for every request, drawn apart from the
     * key: one of a handful, or with one of 65,536 order ids in it, so that the URIs remembered run out.
     */
    private String uri(int n) {
        return withIds ? "/orders/" + (n >>> 4) + "/items" : new String(URIS[(n >>> 7) % URIS.length].toCharArray());
    }

    @TearDown
    public void stopClock() {
        clock.close();
    }

    @Benchmark
    public int drawOnly(Cursor cursor) {
        int n = cursor.next(1 << 20);
        return keyId(n).length() + uri(n).length() + OUTCOMES[(n >>> 3) % OUTCOMES.length].length();
    }

    @Benchmark
    public String normaliseOnly(Cursor cursor) {
        return UsageCounter.normalise(URIS[cursor.next(1 << 20) % URIS.length]);
    }

    @Benchmark
    public int record(Cursor cursor) {
        int n = cursor.next(1 << 20);
        counter.record(keyId(n), uri(n), OUTCOMES[(n >>> 3) % OUTCOMES.length]);
        return n;
    }
}
