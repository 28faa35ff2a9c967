package io.latchkey.api;

import java.time.Instant;
import java.util.List;

/**
 * One edge's decisions for one key since its previous report. {@code edgeId} names the edge process and
 * {@code batchSequence} its report (1, 2, ...), so a report delivered twice is recorded once. {@code lastUsedAt} is
 * the time of the edge's last decision for the key in this report; {@code recordedAt} when the command side took it.
 * The key id {@value #UNKNOWN_KEY} collects decisions for keys that matched none.
 */
public record ApiKeyUsageRecordedEvent(String keyId, String edgeId, long batchSequence, List<UsageCount> counts,
                                       Instant lastUsedAt, Instant recordedAt) {

    /** The key id decisions about keys that matched none are recorded under. */
    public static final String UNKNOWN_KEY = "unknown";

    /** The stream a key's usage reports are stored in, apart from the key's own lifecycle stream. */
    public static String streamOf(String keyId) {
        return "usage:" + keyId;
    }

    public ApiKeyUsageRecordedEvent {
        counts = List.copyOf(counts);
    }
}
