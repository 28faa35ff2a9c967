package io.latchkey.support.store;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Sorts;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.bson.Document;

/**
 * A load run, not a test: the three queries on a non-unique index, in the embedded store with and without
 * {@link FieldIndex}, over TCP with the MongoDB driver. {@code keys} key views of 100 keys per developer, as many
 * scheduled expiries, two events per key and one stream of {@code keys} events, all indexed as the services declare
 * them; then, per round and backend, {@code reads} first pages (100 keys, newest first) of a developer's key list, as
 * many expiry sweeps with nothing due (the sweep's usual answer), as many loads of one key's events, as many pages of
 * 100 events from the first half of the long stream, and {@code reads} writes of a key view and its
 * expiry, which now also update the indexes; then the time to open the store again. Backends alternate, each on a
 * fresh store; medians and p99 in microseconds. Usage: {@code IndexedQueryLoad [keys] [reads] [rounds]}.
 */
public final class IndexedQueryLoad {

    private static final int KEYS_PER_DEVELOPER = 100;
    private static final long NOW = 1_796_000_000_000L;
    private static final String BUSY = "usage:busy";

    public static void main(String[] args) throws Exception {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int reads = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        System.out.printf("keys=%d reads=%d rounds=%d%n", keys, reads, rounds);
        for (int round = 1; round <= rounds; round++) {
            run("plain H2Backend", H2Backend::new, keys, reads, round);
            run("IndexedH2Backend", IndexedH2Backend::new, keys, reads, round);
        }
    }

    private static void run(String name, Function<String, H2Backend> backend, int keys, int reads, int round)
            throws Exception {
        try (FreshStore store = FreshStore.of(backend, "indexed-query-load")) {
            MongoCollection<Document> views = store.collection("keys");
            MongoCollection<Document> expiries = store.collection("key_expiries");
            views.createIndex(Indexes.compoundIndex(Indexes.ascending("developerId"),
                    Indexes.descending("createdAt")));
            expiries.createIndex(Indexes.ascending("expiresAt"));
            // Axon's two indexes, and the one PagedDocumentPerEventStrategy adds.
            MongoCollection<Document> events = ServedBackend.withAxonIndexes(store.collection(ServedBackend.EVENTS));
            events.createIndex(Indexes.compoundIndex(Indexes.ascending("aggregateIdentifier"),
                    Indexes.descending("sequenceNumber")),
                    new IndexOptions().name(PagedDocumentPerEventStrategy.AGGREGATE_INDEX));
            long loadStarted = System.nanoTime();
            List<Document> viewBatch = new ArrayList<>();
            List<Document> expiryBatch = new ArrayList<>();
            List<Document> eventBatch = new ArrayList<>();
            for (int i = 0; i < keys; i++) {
                viewBatch.add(view(i));
                expiryBatch.add(new Document("_id", keyId(i)).append("expiresAt", expiry(i)));
                eventBatch.add(event(keyId(i), 0, i));
                eventBatch.add(event(keyId(i), 1, i));
                if (viewBatch.size() == 1_000 || i == keys - 1) {
                    views.insertMany(viewBatch);
                    expiries.insertMany(expiryBatch);
                    events.insertMany(eventBatch);
                    viewBatch.clear();
                    expiryBatch.clear();
                    eventBatch.clear();
                }
            }
            // One busy stream as long as all keys together, as a key's usage stream becomes.
            for (int from = 0; from < keys; from += 1_000) {
                for (int i = from; i < Math.min(keys, from + 1_000); i++) {
                    eventBatch.add(event(BUSY, i, i));
                }
                events.insertMany(eventBatch);
                eventBatch.clear();
            }
            long loadMillis = (System.nanoTime() - loadStarted) / 1_000_000;
            int developers = keys / KEYS_PER_DEVELOPER;
            long[] listMicros = new long[reads];
            long[] sweepMicros = new long[reads];
            long[] writeMicros = new long[reads];
            long[] loadMicros = new long[reads];
            long[] pageMicros = new long[reads];
            for (int i = 0; i < reads; i++) {
                String developer = developerId((i * 7_919) % developers);
                long started = System.nanoTime();
                int listed = views.find(new Document("developerId", developer))
                        .sort(Sorts.orderBy(Sorts.descending("createdAt"), Sorts.ascending("_id"))).limit(100)
                        .into(new ArrayList<>()).size();
                listMicros[i] = (System.nanoTime() - started) / 1_000;
                started = System.nanoTime();
                int due = expiries.find(new Document("expiresAt", new Document("$lte", new Date(NOW))))
                        .sort(Sorts.ascending("expiresAt")).limit(100).into(new ArrayList<>()).size();
                sweepMicros[i] = (System.nanoTime() - started) / 1_000;
                if (listed != KEYS_PER_DEVELOPER || due != 0) {
                    throw new IllegalStateException("listed " + listed + ", due " + due);
                }
                started = System.nanoTime();
                // PagedDocumentPerEventStrategy's read of an aggregate: a key not in the command side's cache.
                int loaded = events.find(Filters.and(Filters.eq("aggregateIdentifier", keyId((i * 7_919) % keys)),
                                Filters.gte("sequenceNumber", 0L))).sort(Sorts.ascending("sequenceNumber")).limit(1_000)
                        .into(new ArrayList<>()).size();
                loadMicros[i] = (System.nanoTime() - started) / 1_000;
                if (loaded != 2) {
                    throw new IllegalStateException("loaded " + loaded);
                }
                started = System.nanoTime();
                // A page of the busy stream's history from somewhere in its first half.
                long page = (i * 7_919L) % (keys / 2);
                int paged = events.find(Filters.and(Filters.eq("aggregateIdentifier", BUSY),
                                Filters.gte("sequenceNumber", page))).sort(Sorts.ascending("sequenceNumber")).limit(100)
                        .into(new ArrayList<>()).size();
                pageMicros[i] = (System.nanoTime() - started) / 1_000;
                if (paged != 100) {
                    throw new IllegalStateException("paged " + paged);
                }
                int written = keys + i;
                started = System.nanoTime();
                views.replaceOne(new Document("_id", keyId(written)), view(written), new ReplaceOptions().upsert(true));
                expiries.replaceOne(new Document("_id", keyId(written)),
                        new Document("_id", keyId(written)).append("expiresAt", expiry(written)),
                        new ReplaceOptions().upsert(true));
                writeMicros[i] = (System.nanoTime() - started) / 1_000;
            }
            store.stopServing();
            // What a restart costs: opening the file, and with FieldIndex re-adding every document to its indexes.
            long reopenStarted = System.nanoTime();
            backend.apply(store.file()).close();
            long reopenMillis = (System.nanoTime() - reopenStarted) / 1_000_000;
            System.out.printf("round %d %-17s load %6d ms | key list p50 %8d us p99 %8d us | sweep p50 %8d us p99 %8d us"
                            + " | aggregate p50 %8d us p99 %8d us | stream page p50 %8d us p99 %8d us"
                            + " | write p50 %6d us p99 %6d us | reopen %5d ms%n",
                    round, name, loadMillis,
                    KeyedLookupLoad.percentile(listMicros, 50), KeyedLookupLoad.percentile(listMicros, 99),
                    KeyedLookupLoad.percentile(sweepMicros, 50), KeyedLookupLoad.percentile(sweepMicros, 99),
                    KeyedLookupLoad.percentile(loadMicros, 50), KeyedLookupLoad.percentile(loadMicros, 99),
                    KeyedLookupLoad.percentile(pageMicros, 50), KeyedLookupLoad.percentile(pageMicros, 99),
                    KeyedLookupLoad.percentile(writeMicros, 50), KeyedLookupLoad.percentile(writeMicros, 99),
                    reopenMillis);
        }
    }

    /** An event document as Axon writes one, of about the size of a key's creation. */
    private static Document event(String aggregate, long sequence, int i) {
        String id = UUID.nameUUIDFromBytes((aggregate + sequence).getBytes(StandardCharsets.UTF_8)).toString();
        return new Document("_id", id).append("aggregateIdentifier", aggregate).append("type", "ApiKey")
                .append("sequenceNumber", sequence).append("eventIdentifier", id)
                .append("timestamp", Instant.ofEpochMilli(NOW + i * 10L + sequence).toString())
                .append("payloadType", "io.latchkey.api.ApiKeyCreatedEvent").append("payloadRevision", null)
                .append("serializedPayload", "{\"keyId\":\"" + aggregate + "\",\"scopes\":[\"read\"],\"hint\":\""
                        + "lk_live_…" + "x".repeat(220) + "\"}")
                .append("serializedMetaData", "{\"actor\":\"operator\",\"requestId\":\"" + id + "\"}");
    }

    /** A key view of about the size {@code KeyProjection} writes. */
    private static Document view(int i) {
        return new Document("_id", keyId(i)).append("developerId", developerId(i / KEYS_PER_DEVELOPER))
                .append("name", "service " + i).append("hint", "lk_live_…" + String.format("%04d", i % 10_000))
                .append("scopes", List.of("read", "orders:write")).append("status", "ACTIVE")
                .append("createdAt", new Date(NOW - 86_400_000L + i)).append("expiresAt", expiry(i))
                .append("version", 0L).append("lastChangedAt", new Date(NOW - 86_400_000L + i));
    }

    private static Date expiry(int i) {
        return new Date(NOW + 60_000L + (i % 525_600) * 60_000L);
    }

    private static String keyId(int i) {
        return String.format("%08x-0000-4000-8000-%012d", i * 2_654_435_761L & 0xffffffffL, i);
    }

    private static String developerId(int developer) {
        return String.format("d%07d-0000-4000-8000-000000000000", developer);
    }
}
