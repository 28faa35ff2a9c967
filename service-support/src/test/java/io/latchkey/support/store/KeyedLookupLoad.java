package io.latchkey.support.store;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.UpdateOptions;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.bson.Document;

/**
 * A load run, not a test: what the usage read model's two queries cost in the embedded store with and without
 * {@code IndexedH2Backend}'s keyed lookups, over TCP with the MongoDB driver. A collection of {@code documents} minute
 * documents; then, per round and backend, {@code writes} conditional upserts ({@code _id} and the edge's last report,
 * as {@code KeyUsageProjection} writes) and {@code reads} day-range reads of one key ({@code _id} from, to). Backends
 * alternate, each on a fresh store; medians and p99 in microseconds. Usage: {@code KeyedLookupLoad [documents]
 * [writes] [reads] [rounds]}.
 */
public final class KeyedLookupLoad {

    private static final int KEYS = 500;

    public static void main(String[] args) throws Exception {
        int documents = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        int writes = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int reads = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        System.out.printf("documents=%d writes=%d reads=%d rounds=%d%n", documents, writes, reads, rounds);
        for (int round = 1; round <= rounds; round++) {
            run("plain H2Backend", H2Backend::new, documents, writes, reads, round);
            run("IndexedH2Backend", IndexedH2Backend::new, documents, writes, reads, round);
        }
    }

    private static void run(String name, Function<String, H2Backend> backend, int documents, int writes, int reads,
                            int round) throws Exception {
        try (FreshStore store = FreshStore.of(backend, "keyed-lookup-load")) {
            MongoCollection<Document> minutes = store.collection("key-usage");
            List<Document> batch = new ArrayList<>();
            for (int i = 0; i < documents; i++) {
                batch.add(new Document("_id", id(i % KEYS, i / KEYS)).append("counts", new Document("/|valid", 1L))
                        .append("applied", new Document("edge-a", 1L)));
                if (batch.size() == 1_000) {
                    minutes.insertMany(batch, new InsertManyOptions().ordered(false));
                    batch.clear();
                }
            }
            if (!batch.isEmpty()) {
                minutes.insertMany(batch);
            }
            long[] writeMicros = new long[writes];
            for (int i = 0; i < writes; i++) {
                String id = id(i % KEYS, documents / KEYS + i / KEYS);
                long started = System.nanoTime();
                minutes.updateOne(new Document("_id", id).append("applied.edge-a",
                                new Document("$not", new Document("$gte", 2L))),
                        new Document("$inc", new Document("counts./|valid", 1L))
                                .append("$set", new Document("applied.edge-a", 2L)),
                        new UpdateOptions().upsert(true));
                writeMicros[i] = (System.nanoTime() - started) / 1_000;
            }
            long[] readMicros = new long[reads];
            int perKey = documents / KEYS;
            for (int i = 0; i < reads; i++) {
                int key = i % KEYS;
                long started = System.nanoTime();
                int found = 0;
                for (Document ignored : minutes.find(new Document("_id", new Document("$gte", id(key, 0))
                        .append("$lt", id(key, Math.min(perKey, 1_440)))))) {
                    found++;
                }
                readMicros[i] = (System.nanoTime() - started) / 1_000;
                if (found != Math.min(perKey, 1_440)) {
                    throw new IllegalStateException("range read found " + found);
                }
            }
            System.out.printf("round %d %-17s upsert p50 %8d us p99 %8d us | day read p50 %8d us p99 %8d us%n",
                    round, name, percentile(writeMicros, 50), percentile(writeMicros, 99),
                    percentile(readMicros, 50), percentile(readMicros, 99));
        }
    }

    private static String id(int key, int minute) {
        return String.format("%08d-0000-4000-8000-000000000000|%012d", key, 29_000_000 + minute);
    }

    static long percentile(long[] values, int percent) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, sorted.length * percent / 100)];
    }
}
