package io.latchkey.query;

import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.api.RateLimit;
import java.time.Instant;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * A developer account as queries see it. {@code defaultRateLimit} applies to the developer's keys without a limit
 * of their own (null: none); {@code version} is the sequence number of the last event applied.
 */
@Document(DeveloperView.COLLECTION)
public record DeveloperView(@Id String developerId, String name, String email, Instant registeredAt,
                            RateLimit defaultRateLimit, long version) {

    static final String COLLECTION = "developers";

    static DeveloperView registered(DeveloperRegisteredEvent event, long sequence) {
        return new DeveloperView(event.developerId(), event.name(), event.email(), event.registeredAt(), null,
                sequence);
    }

    DeveloperView withDetails(String newName, String newEmail, long sequence) {
        return new DeveloperView(developerId, newName, newEmail, registeredAt, defaultRateLimit, sequence);
    }

    DeveloperView withDefaultRateLimit(RateLimit rateLimit, long sequence) {
        return new DeveloperView(developerId, name, email, registeredAt, rateLimit, sequence);
    }
}
