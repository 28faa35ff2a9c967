package io.latchkey.query;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyExpiredEvent;
import io.latchkey.api.ApiKeyQuotaChangedEvent;
import io.latchkey.api.ApiKeyRateLimitChangedEvent;
import io.latchkey.api.ApiKeyRenewedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.ApiKeyScopesChangedEvent;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.SequenceNumber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.stereotype.Component;

/**
 * Maintains the {@code keys} collection. A key's events arrive in order on one processor thread (Axon sequences them
 * per aggregate); each write replaces only an older view ({@link VersionedViews}), so a query side that handles an
 * event late, after another took over its segment, cannot put an older state back.
 */
@Component
@ProcessingGroup(KeyProjection.GROUP)
public class KeyProjection {

    public static final String GROUP = "keys";
    private static final Logger log = LoggerFactory.getLogger(KeyProjection.class);

    private final MongoTemplate mongo;

    KeyProjection(MongoTemplate mongo) {
        this.mongo = mongo;
        // Listing a developer's keys newest first is the one query besides lookup by id.
        mongo.indexOps(KeyView.class).createIndex(
                new Index().on("developerId", Sort.Direction.ASC).on("createdAt", Sort.Direction.DESC));
    }

    @EventHandler
    void on(ApiKeyCreatedEvent event, @SequenceNumber long sequence) {
        KeyView current = mongo.findById(event.keyId(), KeyView.class);
        if (current == null || sequence > current.version()) {
            VersionedViews.saveIfNewer(mongo, event.keyId(), sequence, KeyView.created(event, sequence));
        }
    }

    @EventHandler
    void on(ApiKeyScopesChangedEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), sequence, event);
    }

    @EventHandler
    void on(ApiKeyRotatedEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), sequence, event);
    }

    @EventHandler
    void on(ApiKeyRenewedEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), sequence, event);
    }

    @EventHandler
    void on(ApiKeyRateLimitChangedEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), sequence, event);
    }

    @EventHandler
    void on(ApiKeyQuotaChangedEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), sequence, event);
    }

    @EventHandler
    void on(ApiKeyRevokedEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), sequence, event);
    }

    @EventHandler
    void on(ApiKeyExpiredEvent event, @SequenceNumber long sequence) {
        apply(event.keyId(), sequence, event);
    }

    public Optional<KeyView> find(String keyId) {
        return Optional.ofNullable(mongo.findById(keyId, KeyView.class));
    }

    /**
     * Up to {@code limit} of the developer's keys, newest first and by id among keys created in the same millisecond,
     * after the key created at {@code createdAt} with id {@code keyId} ({@code null}s: from the newest).
     */
    public List<KeyView> ofDeveloper(String developerId, Instant createdAt, String keyId, int limit) {
        Criteria mine = where("developerId").is(developerId);
        if (createdAt != null) {
            mine = mine.orOperator(where("createdAt").lt(createdAt),
                    where("createdAt").is(createdAt).and("_id").gt(keyId));
        }
        return mongo.find(query(mine).with(Sort.by(Sort.Order.desc("createdAt"), Sort.Order.asc("_id"))).limit(limit),
                KeyView.class);
    }

    private void apply(String keyId, long sequence, Object event) {
        KeyView current = mongo.findById(keyId, KeyView.class);
        if (current == null) {
            // Cannot happen while the stream starts every key with its creation; never invent a half key.
            log.warn("Ignoring event {} for key {}: the key was never created", sequence, keyId);
        } else if (sequence > current.version()) {
            VersionedViews.saveIfNewer(mongo, keyId, sequence, current.after(event, sequence));
        }
    }
}
