package io.latchkey.command;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import io.latchkey.api.secret.KeyHasher;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.stereotype.Component;

/**
 * The pepper the installation's keys are hashed with, by its fingerprint ({@link KeyHasher#fingerprint}), kept beside
 * the read models ({@value #COLLECTION}): the command side records it at its first start and refuses to start with
 * another. Restarted with another pepper (one forgotten to export, say), every service would agree with every other,
 * every key would still show as active, and none made before would authenticate, without a word anywhere. What it
 * cannot tell: the pepper of an installation of an earlier release, which its first start of this one records as it
 * is given; and, in distributed mode, where the record is in MongoDB while the events are in Axon Server, a MongoDB
 * dropped to rebuild the read models loses the record until the next start makes it anew.
 */
@Component
class InstallationPepper {

    static final String COLLECTION = "latchkey_pepper";
    private static final String ID = "pepper";
    private static final String FIELD = "fingerprint";
    private static final Logger log = LoggerFactory.getLogger(InstallationPepper.class);

    InstallationPepper(MongoTemplate mongo, KeyHasher hasher,
                       @Value("${latchkey.accept-new-pepper:false}") boolean acceptNew) {
        long fingerprint = hasher.fingerprint();
        Document stored = mongo.findById(ID, Document.class, COLLECTION);
        if (stored == null) {
            try {
                mongo.insert(new Document("_id", ID).append(FIELD, fingerprint), COLLECTION);
                return;
            } catch (DuplicateKeyException recordedMeanwhile) {
                stored = mongo.findById(ID, Document.class, COLLECTION);
            }
        }
        // Written as a long by this class; anything else (a value set by hand) is refused as another pepper is.
        if (stored != null && stored.get(FIELD) instanceof Long recorded && recorded == fingerprint) {
            return;
        }
        if (!acceptNew) {
            // Short enough for bin/latchkey, which shows a failed start's cause in 300 characters.
            throw new IllegalStateException("The pepper (LATCHKEY_PEPPER) is not the one recorded at this "
                    + "installation's first start: keys made with that one would not authenticate. Start with it, or "
                    + "once with LATCHKEY_ACCEPT_NEW_PEPPER=true to give those keys up");
        }
        mongo.upsert(query(where("_id").is(ID)), new Update().set(FIELD, fingerprint), COLLECTION);
        log.warn("The installation's pepper changed, as latchkey.accept-new-pepper allowed: keys made before it no "
                + "longer authenticate");
    }
}
