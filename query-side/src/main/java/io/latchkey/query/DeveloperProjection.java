package io.latchkey.query;

import io.latchkey.api.DeveloperRateLimitChangedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import java.util.Optional;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.SequenceNumber;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.stereotype.Component;

/** Maintains the {@code developers} collection; each write replaces only an older view ({@link VersionedViews}). */
@Component
@ProcessingGroup(DeveloperProjection.GROUP)
public class DeveloperProjection {

    public static final String GROUP = "developers";

    private final MongoTemplate mongo;

    DeveloperProjection(MongoTemplate mongo) {
        this.mongo = mongo;
    }

    @EventHandler
    void on(DeveloperRegisteredEvent event, @SequenceNumber long sequence) {
        DeveloperView current = mongo.findById(event.developerId(), DeveloperView.class);
        if (current == null || sequence > current.version()) {
            VersionedViews.saveIfNewer(mongo, event.developerId(), sequence, DeveloperView.registered(event, sequence));
        }
    }

    @EventHandler
    void on(DeveloperRateLimitChangedEvent event, @SequenceNumber long sequence) {
        DeveloperView current = mongo.findById(event.developerId(), DeveloperView.class);
        if (current != null && sequence > current.version()) {
            VersionedViews.saveIfNewer(mongo, event.developerId(), sequence,
                    current.withDefaultRateLimit(event.rateLimit(), sequence));
        }
    }

    public Optional<DeveloperView> find(String developerId) {
        return Optional.ofNullable(mongo.findById(developerId, DeveloperView.class));
    }
}
