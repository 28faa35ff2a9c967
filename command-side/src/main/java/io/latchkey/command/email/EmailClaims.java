package io.latchkey.command.email;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import io.latchkey.api.DeveloperDetailsChangedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.support.events.EventWindows;
import io.latchkey.support.store.StoreAutoConfiguration;
import io.latchkey.support.web.ProblemException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventHandler;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.stereotype.Component;

/**
 * The e-mail addresses the developer accounts hold, in {@value #COLLECTION}, one document an address (its id, so
 * the store refuses a second one at once, across command sides). Addresses compare in any case, as
 * {@link String#equalsIgnoreCase} and the query side's search do.
 */
@Component
@ProcessingGroup(EmailClaims.PROCESSING_GROUP)
public class EmailClaims {

    /** Renamed from {@code email-claims}, so that it reads the log again and learns the accounts sharing an address. */
    public static final String PROCESSING_GROUP = "email-claims-2";
    static final String COLLECTION = "developer_emails";
    /**
     * Longer than a command waits for its result (10 s): a claim younger than this may belong to a registration or
     * change still under way, unless its account's log shows a change of address since.
     */
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
     * address it is by the event log, or one whose registration or change to it may still be under way. An account
     * may keep an address it has already, even one another account claimed first (two accounts registered with one
     * address before claims existed). The claim is at {@code now}, for {@link #release}. 503 {@code busy} when other
     * claims of the address kept changing it.
     */
    public Optional<String> claim(String email, String developerId, Instant now) {
        String address = address(email);
        Instant at = now.truncatedTo(ChronoUnit.MILLIS);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            EmailClaim held = mongo.findById(address, EmailClaim.class);
            if (held == null) {
                try {
                    mongo.insert(new EmailClaim(address, developerId, at));
                    return Optional.empty();
                } catch (DuplicateKeyException raced) {
                    continue;
                }
            }
            String holder = holder(held);
            if (holder != null && !holder.equals(developerId)) {
                if (!address.equals(current(developerId).address())) {
                    return Optional.of(holder);
                }
                // An address this account has already, from before claims: it keeps it when the holder leaves. Listed
                // in the claim as it was read, or read again (a release may have removed it meanwhile).
                if (mongo.updateFirst(query(asRead(held)), new Update().addToSet("alsoHeldBy", developerId),
                        EmailClaim.class).getMatchedCount() > 0) {
                    return Optional.empty();
                }
                continue;
            }
            // Its own (moved to now, so that an earlier request's release leaves it), or a stale one: either only as
            // it was read, so that two claimants cannot both have it, nor one take it from an account listed since.
            if (mongo.findAndModify(query(asRead(held)), Update.update("developerId", developerId).set("claimedAt", at),
                    EmailClaim.class) != null) {
                return Optional.empty();
            }
        }
        throw new ProblemException(503, "busy", "Service unavailable",
                "Other requests kept claiming this e-mail address; nothing was done.", 1);
    }

    /**
     * Gives up the claim {@link #claim} made at {@code claimedAt}, after its change was refused; none other, and not
     * one the account holds by the event log (another request of the account's may have made the change).
     */
    public void release(String email, String developerId, Instant claimedAt) {
        String address = address(email);
        if (!address.equals(current(developerId).address())) {
            Criteria made = where("_id").is(address).and("developerId").is(developerId)
                    .and("claimedAt").is(claimedAt.truncatedTo(ChronoUnit.MILLIS));
            // One that lists accounts sharing the address is kept, stale at once, so that they keep it.
            if (mongo.remove(query(made).addCriteria(where("alsoHeldBy").exists(false)), EmailClaim.class)
                    .getDeletedCount() == 0) {
                mongo.updateFirst(query(made), Update.update("claimedAt", Instant.EPOCH), EmailClaim.class);
            }
        }
    }

    /** Whether {@code developerId} names a developer account by the event log: one registered, its first event. */
    public boolean isAccount(String developerId) {
        return events.read(developerId, 0, 1).stream()
                .anyMatch(event -> event.getPayload() instanceof DeveloperRegisteredEvent);
    }

    /**
     * Claims the addresses of accounts made before claims existed, and those of claims lost (a release racing a change
     * of the same account's), at the event's time: an address held by the event's account is claimed for it, as it
     * would be by a request. A redelivered event changes nothing.
     */
    @EventHandler
    void on(DeveloperRegisteredEvent event) {
        claimFromLog(event.email(), event.developerId(), event.registeredAt());
    }

    @EventHandler
    void on(DeveloperDetailsChangedEvent event) {
        claimFromLog(event.email(), event.developerId(), event.changedAt());
    }

    private void claimFromLog(String email, String developerId, Instant at) {
        if (address(email).equals(current(developerId).address())) {
            claim(email, developerId, at);
        }
    }

    /** The claim exactly as it was read: its claimant, when, and the accounts it listed. */
    private static Criteria asRead(EmailClaim claim) {
        Criteria read = where("_id").is(claim.address()).and("developerId").is(claim.developerId())
                .and("claimedAt").is(claim.claimedAt());
        return claim.alsoHeldBy() == null ? read.and("alsoHeldBy").exists(false)
                : read.and("alsoHeldBy").is(claim.alsoHeldBy());
    }

    /**
     * Who has the claimed address: its claimant while it {@link #holds} it, else one of the accounts that shared it
     * before claims that still has it by the event log; null for none (a stale claim).
     */
    private String holder(EmailClaim claim) {
        if (holds(claim)) {
            return claim.developerId();
        }
        List<String> sharing = claim.alsoHeldBy() == null ? List.of() : claim.alsoHeldBy();
        return sharing.stream().filter(account -> claim.address().equals(current(account).address())).findFirst()
                .orElse(null);
    }

    /** A claim its account holds by the event log, or one whose change may still come. */
    private boolean holds(EmailClaim claim) {
        Current holder = current(claim.developerId());
        if (claim.address().equals(holder.address())) {
            return true;
        }
        boolean changedSince = holder.changedAt() != null
                && !holder.changedAt().truncatedTo(ChronoUnit.MILLIS).isBefore(claim.claimedAt());
        return !changedSince && claim.claimedAt().isAfter(clock.instant().minus(PENDING));
    }

    /** An account's address by the event log, in {@link #address} form, and when it was set; nulls for none. */
    private record Current(String address, Instant changedAt) {
    }

    private Current current(String developerId) {
        String email = null;
        Instant changedAt = null;
        long next = 0;
        for (List<DomainEventMessage<?>> window = events.read(developerId, 0, StoreAutoConfiguration.READ_BATCH); ;
                window = events.read(developerId, next, StoreAutoConfiguration.READ_BATCH)) {
            for (DomainEventMessage<?> event : window) {
                if (event.getPayload() instanceof DeveloperRegisteredEvent registered) {
                    email = registered.email();
                    changedAt = registered.registeredAt();
                } else if (event.getPayload() instanceof DeveloperDetailsChangedEvent changed) {
                    email = changed.email();
                    changedAt = changed.changedAt();
                }
                next = event.getSequenceNumber() + 1;
            }
            if (window.size() < StoreAutoConfiguration.READ_BATCH) {
                return new Current(email == null ? null : address(email), changedAt);
            }
        }
    }

    /** Each character as {@link String#equalsIgnoreCase} compares it: upper case, then lower. */
    static String address(String email) {
        StringBuilder folded = new StringBuilder(email.length());
        email.codePoints().forEach(c -> folded.appendCodePoint(Character.toLowerCase(Character.toUpperCase(c))));
        return folded.toString();
    }
}
