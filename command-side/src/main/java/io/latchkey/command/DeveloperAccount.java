package io.latchkey.command;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;
import static org.axonframework.modelling.command.AggregateLifecycle.createNew;
import static org.axonframework.modelling.command.AggregateLifecycle.getVersion;

import io.latchkey.api.DeveloperDetailsChangedEvent;
import io.latchkey.api.DeveloperRateLimitChangedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.api.RateLimit;
import io.latchkey.support.web.RequestContext;
import java.util.Objects;
import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.messaging.annotation.MetaDataValue;
import org.axonframework.modelling.command.AggregateCreationPolicy;
import org.axonframework.modelling.command.AggregateIdentifier;
import org.axonframework.modelling.command.CommandHandlerInterceptor;
import org.axonframework.modelling.command.CreationPolicy;
import org.axonframework.spring.stereotype.Aggregate;

/** A developer account: the owner of keys. Keys are created through it, so none can exist without one. */
@Aggregate(cache = "developerCache")
public class DeveloperAccount {

    @AggregateIdentifier
    private String developerId;
    private String name;
    private String email;
    private RateLimit rateLimit;

    protected DeveloperAccount() {
        // Rebuilt by Axon from its events.
    }

    /** A developer acts on its own account only; any other answers exactly like an account that does not exist. */
    @CommandHandlerInterceptor
    void onlyItself(@MetaDataValue(RequestContext.TENANT) String tenant) {
        Tenancy.require(tenant, developerId, developerId);
    }

    /** Create-if-missing rather than a constructor, so registering a known id is a rule violation, not a clash. */
    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    void handle(RegisterDeveloperCommand command) {
        if (developerId != null) {
            throw new RuleViolation(RuleViolation.DEVELOPER_EXISTS, "The developer is already registered.");
        }
        apply(new DeveloperRegisteredEvent(command.developerId(), command.name(), command.email(), command.now()));
    }

    /** Returns the new key's version (the sequence number of its last event: 1 when it was made with a quota). */
    @CommandHandler
    Long handle(CreateApiKeyCommand command) throws Exception {
        return createNew(ApiKey.class, () -> new ApiKey(command)).version();
    }

    /** Returns the account's version (the sequence number of the change; as it was when the limit is already so). */
    @CommandHandler
    Long handle(SetDeveloperRateLimitCommand command) {
        if (!Objects.equals(rateLimit, command.rateLimit())) {
            apply(new DeveloperRateLimitChangedEvent(developerId, command.rateLimit(), command.now()));
        }
        return getVersion();
    }

    /** Returns the account's version (the sequence number of the change; as it was when the details are so). */
    @CommandHandler
    Long handle(ChangeDeveloperDetailsCommand command) {
        if (!command.name().equals(name) || !command.email().equals(email)) {
            apply(new DeveloperDetailsChangedEvent(developerId, command.name(), command.email(), command.now()));
        }
        return getVersion();
    }

    @EventSourcingHandler
    void on(DeveloperRegisteredEvent event) {
        developerId = event.developerId();
        name = event.name();
        email = event.email();
    }

    @EventSourcingHandler
    void on(DeveloperDetailsChangedEvent event) {
        name = event.name();
        email = event.email();
    }

    @EventSourcingHandler
    void on(DeveloperRateLimitChangedEvent event) {
        rateLimit = event.rateLimit();
    }
}
