package io.latchkey.query.rest;

import io.latchkey.api.RateLimit;
import io.latchkey.query.DeveloperView;
import java.time.Instant;

/** A developer account; {@code defaultRateLimit} is what its keys without a limit of their own get. */
record DeveloperResponse(String developerId, String name, String email, Instant registeredAt,
                         RateLimit defaultRateLimit, long version) {

    static DeveloperResponse of(DeveloperView view) {
        return new DeveloperResponse(view.developerId(), view.name(), view.email(), view.registeredAt(),
                view.defaultRateLimit(), view.version());
    }
}
