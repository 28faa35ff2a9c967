package io.latchkey.command.expiry;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyExpiredEvent;
import io.latchkey.api.ApiKeyRenewedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import java.time.Instant;
import java.util.List;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.stereotype.Component;

/**
 * Which keys expire when, kept in {@value #COLLECTION} from the events. Every write is an upsert or delete by key
 * id, so a redelivered or replayed event leaves the same state.
 */
@Component
@ProcessingGroup(ExpirySchedule.PROCESSING_GROUP)
public class ExpirySchedule {

    public static final String PROCESSING_GROUP = "expiry-schedule";
    static final String COLLECTION = "key_expiries";

    private final MongoTemplate mongo;

    public ExpirySchedule(MongoTemplate mongo) {
        this.mongo = mongo;
        // The sweep asks for the earliest due keys every few seconds: without an index, a scan of every key that expires.
        mongo.indexOps(KeyExpiry.class).createIndex(new Index().on("expiresAt", Sort.Direction.ASC));
    }

    @EventHandler
    void on(ApiKeyCreatedEvent event) {
        schedule(event.keyId(), event.expiresAt());
    }

    @EventHandler
    void on(ApiKeyRenewedEvent event) {
        schedule(event.keyId(), event.expiresAt());
    }

    @EventHandler
    void on(ApiKeyRevokedEvent event) {
        unschedule(event.keyId());
    }

    @EventHandler
    void on(ApiKeyExpiredEvent event) {
        unschedule(event.keyId());
    }

    /** Up to {@code limit} keys whose expiry is at or before {@code now}, earliest first. */
    List<String> due(Instant now, int limit) {
        return mongo.find(query(where("expiresAt").lte(now)).with(Sort.by("expiresAt")).limit(limit), KeyExpiry.class)
                .stream().map(KeyExpiry::keyId).toList();
    }

    private void schedule(String keyId, Instant expiresAt) {
        if (expiresAt == null) {
            unschedule(keyId);
        } else {
            mongo.upsert(query(where("_id").is(keyId)), Update.update("expiresAt", expiresAt), KeyExpiry.class);
        }
    }

    private void unschedule(String keyId) {
        mongo.remove(query(where("_id").is(keyId)), KeyExpiry.class);
    }
}
