package io.latchkey.command;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import org.bson.Document;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.stereotype.Component;

/**
 * The generation of the data this release writes, kept beside the read models ({@value #COLLECTION}): the command side
 * raises it as it starts, before it handles a command, and refuses to start on data of a later generation, which it
 * could misread without a word. A release of 2026-12-06 started on this release's data loads a key with more than 100
 * events as no key at all (its snapshot): 404 to a revocation, while edges go on admitting the key. Releases before
 * this one do not look; from this one on, going back needs the copy of the data directory taken before the upgrade.
 * In distributed mode the document is in MongoDB beside the read models, while the events are in Axon Server: a
 * MongoDB dropped to rebuild the read models loses it until the next command side starts.
 */
@Component
class DataGeneration {

    /**
     * 1, 2026-12-07: {@code ApiKey} snapshots, and rotations' ends capped by renewals. A release raises it when it
     * writes data that the release before it would misread.
     */
    static final int CURRENT = 1;
    static final String COLLECTION = "latchkey_data_generation";
    private static final String ID = "data";
    private static final String FIELD = "generation";

    DataGeneration(MongoTemplate mongo) {
        long found = stored(mongo);
        if (found > CURRENT) {
            throw new IllegalStateException("The data was written by a later Latchkey release (data generation "
                    + found + ") than this one (" + CURRENT + "), which could misread it: run that release, or this "
                    + "one on the copy of the data taken before the upgrade (the data directory; in distributed mode "
                    + "Axon Server's and MongoDB's) (docs/architecture.md, \"The store's file across releases\")");
        }
        if (found < CURRENT) {
            try {
                raise(mongo);
            } catch (DuplicateKeyException raisedMeanwhile) {
                // Another command side made the document first; $max on it again keeps the higher of the two.
                raise(mongo);
            }
        }
    }

    private static void raise(MongoTemplate mongo) {
        mongo.upsert(query(where("_id").is(ID)), new Update().max(FIELD, CURRENT), COLLECTION);
    }

    /** The generation the data holds, 0 for none; any number type (a value set by hand may be a double or a long). */
    private static long stored(MongoTemplate mongo) {
        Document stored = mongo.findById(ID, Document.class, COLLECTION);
        return stored != null && stored.get(FIELD) instanceof Number number ? number.longValue() : 0;
    }
}
