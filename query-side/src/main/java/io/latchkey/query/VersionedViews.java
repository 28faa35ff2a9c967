package io.latchkey.query;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.mongodb.core.MongoTemplate;

/**
 * Writes a view only over an older one, in one atomic step. Reading a view, checking its version and saving it back
 * is not enough when two query sides hand a processor segment over, or a stalled one wakes after the other took its
 * events: the late one would put its older state back over the newer.
 */
final class VersionedViews {

    private VersionedViews() {
    }

    /** Saves {@code view}, the state at {@code version}, unless the stored view with that id is at it or later. */
    static void saveIfNewer(MongoTemplate mongo, String id, long version, Object view) {
        if (mongo.findAndReplace(query(where("_id").is(id).and("version").lt(version)), view) != null) {
            return;
        }
        try {
            mongo.insert(view);
        } catch (DuplicateKeyException storedNewer) {
            // The view is at this version or later already.
        }
    }
}
