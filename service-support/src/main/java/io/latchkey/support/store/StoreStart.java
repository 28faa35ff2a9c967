package io.latchkey.support.store;

import com.mongodb.client.MongoDatabase;
import org.bson.Document;

/**
 * What the embedded store's serving process recorded at the store's last start ({@link EmbeddedMongoServer#start}):
 * its id, new at every start, and how many crashes the store has been through (carried over a clean stop, one more
 * after a crash). A reader that sees the id change knows the store restarted; one that sees the crashes grow knows
 * that the store may have taken back writes of the last second the reader saw accepted, and events the reader had
 * already read. {@code ("", 0)} where there is no marker, as in MongoDB.
 */
public record StoreStart(String id, long crashes) {

    static final String CRASHES = "crashes";

    /** Read in one query, so that the id and the crashes are of one start. */
    public static StoreStart of(MongoDatabase database) {
        Document marker = database.getCollection(EventPositions.MARKERS)
                .find(new Document("_id", StoreStartAwareTokenStore.START)).first();
        if (marker == null) {
            return new StoreStart("", 0);
        }
        Number crashes = marker.get(CRASHES, Number.class);
        return new StoreStart(marker.getString("id"), crashes == null ? 0 : crashes.longValue());
    }
}
