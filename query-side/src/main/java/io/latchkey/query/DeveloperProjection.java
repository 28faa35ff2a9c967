package io.latchkey.query;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import io.latchkey.api.DeveloperDetailsChangedEvent;
import io.latchkey.api.DeveloperRateLimitChangedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.SequenceNumber;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.stereotype.Component;

/** Maintains the {@code developers} collection; each write replaces only an older view ({@link VersionedViews}). */
@Component
@ProcessingGroup(DeveloperProjection.GROUP)
public class DeveloperProjection {

    public static final String GROUP = "developers";

    private final MongoTemplate mongo;

    DeveloperProjection(MongoTemplate mongo) {
        this.mongo = mongo;
        mongo.indexOps(DeveloperView.class).createIndex(new Index().on("registeredAt", Sort.Direction.DESC));
    }

    @EventHandler
    void on(DeveloperRegisteredEvent event, @SequenceNumber long sequence) {
        DeveloperView current = mongo.findById(event.developerId(), DeveloperView.class);
        if (current == null || sequence > current.version()) {
            VersionedViews.saveIfNewer(mongo, event.developerId(), sequence, DeveloperView.registered(event, sequence));
        }
    }

    @EventHandler
    void on(DeveloperDetailsChangedEvent event, @SequenceNumber long sequence) {
        change(event.developerId(), sequence, current -> current.withDetails(event.name(), event.email(), sequence));
    }

    @EventHandler
    void on(DeveloperRateLimitChangedEvent event, @SequenceNumber long sequence) {
        change(event.developerId(), sequence, current -> current.withDefaultRateLimit(event.rateLimit(), sequence));
    }

    /** Applies a change to the account's view, unless the view is missing or has it already (a redelivery). */
    private void change(String developerId, long sequence, UnaryOperator<DeveloperView> changed) {
        DeveloperView current = mongo.findById(developerId, DeveloperView.class);
        if (current != null && sequence > current.version()) {
            VersionedViews.saveIfNewer(mongo, developerId, sequence, changed.apply(current));
        }
    }

    public Optional<DeveloperView> find(String developerId) {
        return Optional.ofNullable(mongo.findById(developerId, DeveloperView.class));
    }

    /**
     * Up to {@code limit} accounts, newest first and by id among accounts registered in the same millisecond, after
     * the one registered at {@code registeredAt} with id {@code developerId} ({@code null}s: from the newest);
     * {@code email}, when given, only those with that address, in any case.
     */
    public List<DeveloperView> page(String email, Instant registeredAt, String developerId, int limit) {
        Criteria criteria = new Criteria();
        if (email != null) {
            criteria = criteria.and("email").regex("^" + Pattern.quote(email) + "$", "i");
        }
        if (registeredAt != null) {
            criteria = criteria.orOperator(where("registeredAt").lt(registeredAt),
                    where("registeredAt").is(registeredAt).and("_id").gt(developerId));
        }
        return mongo.find(query(criteria).with(Sort.by(Sort.Order.desc("registeredAt"), Sort.Order.asc("_id")))
                .limit(limit), DeveloperView.class);
    }
}
