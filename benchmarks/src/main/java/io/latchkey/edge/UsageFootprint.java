package io.latchkey.edge;

import io.latchkey.bench.EdgeMember;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap an edge's usage counter holds when {@code pairs} (key, endpoint) pairs are used every minute: minute after
 * minute, each pair is counted twice at times spread over the minute, and the reporting thread's work is done every
 * simulated second (fold and prepare, report, acknowledge), as the edge does it. After each minute the heap in use is
 * read after a full collection, with nothing else in this JVM but the counter and its inputs, then divided by the
 * pairs; and the median time the reporting thread spent on one second's work in that minute. Five endpoints, so a
 * fifth as many keys as pairs.
 *
 * <pre>java -Xmx4g -cp benchmarks/target/benchmarks.jar io.latchkey.edge.UsageFootprint 200000 5</pre>
 */
public final class UsageFootprint {

    private static final String[] URIS = {"/orders/12345?page=2", "/orders", "/customers/7d3f8a2e-0b1c/invoices",
            "/v2/search?q=shoes", "/health"};

    public static void main(String[] args) throws InterruptedException {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int minutes = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String[] keyIds = new String[pairs / URIS.length];
        for (int i = 0; i < keyIds.length; i++) {
            keyIds[i] = UUID.randomUUID().toString();
        }
        AtomicLong now = new AtomicLong(Instant.parse("2030-01-01T00:00:00Z").toEpochMilli());
        InstantSource clock = () -> Instant.ofEpochMilli(now.get());
        UsageCounter counter = new UsageCounter(clock);
        long baseline = EdgeMember.usedHeapAfterGc();
        for (int minute = 0; minute < minutes; minute++) {
            int perSecond = 2 * pairs / 60 + 1;
            int n = 0;
            long[] reporting = new long[60];
            for (int second = 0; second < 60; second++) {
                for (int i = 0; i < perSecond && n < 2 * pairs; i++, n++) {
                    int pair = n % pairs;
                    counter.record(new String(keyIds[pair / URIS.length].toCharArray()), URIS[pair % URIS.length],
                            "valid");
                }
                now.addAndGet(1_000);
                long started = System.nanoTime();
                counter.maintain();
                List<UsageCounter.KeyReport> report;
                while (!(report = counter.report(UsageReporter.MAX_KEYS)).isEmpty()) {
                    counter.acknowledge(report);
                }
                reporting[second] = System.nanoTime() - started;
            }
            long used = EdgeMember.usedHeapAfterGc() - baseline;
            Arrays.sort(reporting);
            System.out.printf("minute=%d pairs=%d heap_mb=%.1f bytes_per_pair=%d counters=%d reporting_ms_p50=%.1f%n",
                    minute, pairs, used / 1048576.0, used / pairs, counter.size(), reporting[30] / 1e6);
        }
    }
}
