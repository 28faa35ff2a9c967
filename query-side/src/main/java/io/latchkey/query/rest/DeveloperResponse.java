package io.latchkey.query.rest;

import io.latchkey.query.DeveloperView;
import java.time.Instant;

/** A developer account. */
record DeveloperResponse(String developerId, String name, String email, Instant registeredAt, long version) {

    static DeveloperResponse of(DeveloperView view) {
        return new DeveloperResponse(view.developerId(), view.name(), view.email(), view.registeredAt(),
                view.version());
    }
}
