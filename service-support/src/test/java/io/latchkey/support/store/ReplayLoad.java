package io.latchkey.support.store;

import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.MongoEventStorageEngine;

/**
 * A load run, not a test: what replaying a long event log costs in the embedded store, as a tracking processor that
 * starts from nothing reads it (a new read model, a reset, a query side started on an old store). {@code events}
 * events of 1,000 aggregates, stamped {@code rate} a second apart, are appended through Axon's engine (batches of
 * 1,000, as the services configure it, and the services' storage strategy); then the whole log is read from no token
 * to the head, and one batch from the middle of the log is read {@code fetches} times. The rate matters: Axon's Mongo
 * token re-reads the last second before it on every fetch and excludes the events it has seen there by id, so that
 * second's events are part of every fetch's cost. Prints the append time per 1,000 events (median), the replay's
 * total, and the median time of the fetch from the middle, in milliseconds. Usage: {@code ReplayLoad [events]
 * [fetches] [rounds] [rate] [backend: indexed|plain]}.
 */
public final class ReplayLoad {

    private static final int BATCH = 1_000;
    private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int fetches = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int rate = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        boolean plain = args.length > 4 && args[4].equals("plain");
        Function<String, H2Backend> backend = plain ? H2Backend::new : IndexedH2Backend::new;
        System.out.printf("events=%d fetches=%d rounds=%d rate=%d/s backend=%s%n", events, fetches, rounds, rate,
                plain ? "plain H2Backend" : "IndexedH2Backend");
        for (int round = 1; round <= rounds; round++) {
            run(backend, events, fetches, rate, round);
        }
    }

    private static void run(Function<String, H2Backend> backend, int events, int fetches, int rate, int round)
            throws Exception {
        try (FreshStore store = FreshStore.of(backend, "replay-load")) {
            MongoEventStorageEngine engine = ServedStore.engineOn(store.template()).batchSize(BATCH)
                    .storageStrategy(new PagedDocumentPerEventStrategy(store.database(), store::commit)).build();
            List<Double> appends = new ArrayList<>();
            long[] sequences = new long[1_000];
            for (int from = 0; from < events; from += BATCH) {
                List<EventMessage<?>> batch = new ArrayList<>(BATCH);
                for (int i = from; i < Math.min(events, from + BATCH); i++) {
                    int aggregate = i % sequences.length;
                    batch.add(new GenericDomainEventMessage<>("ApiKey", "key-" + aggregate, sequences[aggregate]++,
                            "event " + i + " of a log long enough to replay", Map.of(), UUID.randomUUID().toString(),
                            START.plusMillis(i * 1_000L / rate)));
                }
                long started = System.nanoTime();
                engine.appendEvents(batch);
                appends.add((System.nanoTime() - started) / 1e6);
            }

            long started = System.nanoTime();
            TrackingToken middle = null;
            long read = 0;
            try (var all = engine.readEvents(null, false)) {
                for (var iterator = all.iterator(); iterator.hasNext(); ) {
                    TrackedEventMessage<?> event = iterator.next();
                    if (++read == events / 2) {
                        middle = event.trackingToken();
                    }
                }
            }
            double replay = (System.nanoTime() - started) / 1e6;
            if (read != events) {
                throw new IllegalStateException("replayed " + read + " of " + events + " events");
            }

            List<Double> batches = new ArrayList<>();
            for (int i = 0; i < fetches; i++) {
                long fetchStarted = System.nanoTime();
                try (var next = engine.readEvents(middle, false)) {
                    if (next.limit(BATCH).count() != BATCH) {
                        throw new IllegalStateException("a fetch from the middle came back short");
                    }
                }
                batches.add((System.nanoTime() - fetchStarted) / 1e6);
            }
            System.out.printf("round %d: append %.1f ms per 1,000 (median) | replay %.0f ms (%.0f events/s) | "
                            + "fetch of 1,000 from the middle %.1f ms (median of %d)%n", round, median(appends),
                    replay, events / (replay / 1e3), median(batches), fetches);
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }
}
