package io.latchkey.command.email;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import io.latchkey.api.DeveloperDetailsChangedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.support.events.EventWindows;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventHandler;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.stereotype.Component;

/**
 * The e-mail addresses the developer accounts hold, in {@value #COLLECTION}, one document an address (its id, so
 * the store refuses a second one at once, across command sides). Addresses compare in lower case, as the query side
 * finds them.
 */
@Component
@ProcessingGroup(EmailClaims.PROCESSING_GROUP)
public class EmailClaims {

    public static final String PROCESSING_GROUP = "email-claims";
    static final String COLLECTION = "developer_emails";
    /** Longer than a command may wait for its result: a claim younger than this may belong to one still running. */
    static final Duration PENDING = Duration.ofMinutes(1);
    private static final int ATTEMPTS = 4;

    private final MongoTemplate mongo;
    private final EventWindows events;
    private final Clock clock;

    public EmailClaims(MongoTemplate mongo, EventWindows events, Clock clock) {
        this.mongo = mongo;
        this.events = events;
        this.clock = clock;
    }

    /**
     * Claims {@code email} for {@code developerId} and answers empty, or answers the account that holds it: one whose
     * address it is by the event log, or one whose registration may still be under way. An account may keep an
     * address it has already, even one another account claimed first (two accounts registered with one address
     * before claims existed). A claim this made is at {@code now}, for {@link #release}.
     */
    public Optional<String> claim(String email, String developerId, Instant now) {
        String address = address(email);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            EmailClaim held = mongo.findById(address, EmailClaim.class);
            if (held == null) {
                try {
                    mongo.insert(new EmailClaim(address, developerId, now));
                    return Optional.empty();
                } catch (DuplicateKeyException raced) {
                    continue;
                }
            }
            if (held.developerId().equals(developerId)) {
                return Optional.empty();
            }
            if (holds(held)) {
                return address.equals(currentAddress(developerId)) ? Optional.empty()
                        : Optional.of(held.developerId());
            }
            // A stale claim: taken over only as it was read, so two claimants cannot both take it.
            if (mongo.findAndModify(query(where("_id").is(address).and("developerId").is(held.developerId())),
                    Update.update("developerId", developerId).set("claimedAt", now), EmailClaim.class) != null) {
                return Optional.empty();
            }
        }
        return Optional.ofNullable(mongo.findById(address, EmailClaim.class)).map(EmailClaim::developerId);
    }

    /** Gives up the claim {@link #claim} made at {@code claimedAt}, after its change was refused; none other. */
    public void release(String email, String developerId, Instant claimedAt) {
        mongo.remove(query(where("_id").is(address(email)).and("developerId").is(developerId)
                .and("claimedAt").is(claimedAt)), EmailClaim.class);
    }

    /** Whether {@code developerId} names a developer account by the event log. */
    public boolean isAccount(String developerId) {
        return currentAddress(developerId) != null;
    }

    @EventHandler
    void on(DeveloperRegisteredEvent event) {
        keep(event.email(), event.developerId(), event.registeredAt());
    }

    @EventHandler
    void on(DeveloperDetailsChangedEvent event) {
        keep(event.email(), event.developerId(), event.changedAt());
    }

    /** An address no claim has yet: the account's; one that has a claim keeps it (checked when it clashes). */
    private void keep(String email, String developerId, Instant at) {
        mongo.upsert(query(where("_id").is(address(email))),
                new Update().setOnInsert("developerId", developerId).setOnInsert("claimedAt", at), EmailClaim.class);
    }

    private boolean holds(EmailClaim claim) {
        String current = currentAddress(claim.developerId());
        return current == null ? claim.claimedAt().isAfter(clock.instant().minus(PENDING))
                : current.equals(claim.address());
    }

    /** The account's address by the event log, in lower case; null for an account that does not exist. */
    private String currentAddress(String developerId) {
        String email = null;
        long next = 0;
        for (List<DomainEventMessage<?>> window = events.read(developerId, 0, 256); !window.isEmpty();
                window = events.read(developerId, next, 256)) {
            for (DomainEventMessage<?> event : window) {
                if (event.getPayload() instanceof DeveloperRegisteredEvent registered) {
                    email = registered.email();
                } else if (event.getPayload() instanceof DeveloperDetailsChangedEvent changed) {
                    email = changed.email();
                }
                next = event.getSequenceNumber() + 1;
            }
        }
        return email == null ? null : address(email);
    }

    private static String address(String email) {
        return email.toLowerCase(Locale.ROOT);
    }
}
