package io.latchkey.command;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.support.events.EventWindows;
import io.latchkey.support.web.RequestContext;
import java.util.List;
import org.axonframework.commandhandling.CommandExecutionException;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.common.lock.LockAcquisitionFailedException;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventsourcing.IncompatibleAggregateException;
import org.axonframework.eventsourcing.conflictresolution.ConflictResolution;
import org.axonframework.messaging.InterceptorChain;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.axonframework.modelling.command.AggregateNotFoundException;
import org.axonframework.modelling.command.AnnotationCommandTargetResolver;
import org.axonframework.modelling.command.CommandTargetResolver;
import org.axonframework.modelling.command.ConflictingModificationException;
import org.springframework.stereotype.Component;

/**
 * Turns expected command failures into a {@link CommandExecutionException} whose details are a failure code.
 * Through Axon Server only such an exception and its details reach the sender; doing the same on the local bus
 * gives the REST layer one path in both run modes.
 */
@Component
public class CommandFailureCodes implements MessageHandlerInterceptor<CommandMessage<?>> {

    /** The target aggregate does not exist. */
    public static final String NOT_FOUND = "not-found";
    /** The command's expected version is not the aggregate's current one. */
    public static final String VERSION_CONFLICT = "version-conflict";
    /** Another command held the aggregate past Axon's wait for its lock: nothing was done, and asking again is safe. */
    public static final String BUSY = "busy";

    private static final CommandTargetResolver TARGETS = AnnotationCommandTargetResolver.builder().build();

    private final EventWindows events;

    public CommandFailureCodes(EventWindows events) {
        this.events = events;
    }

    @Override
    public Object handle(UnitOfWork<? extends CommandMessage<?>> unitOfWork, InterceptorChain chain)
            throws Exception {
        try {
            Object result = chain.proceed();
            // Axon reports an older expected version only when the unit of work commits, after this interceptor
            // has returned; checking here lets that conflict carry its code too.
            ConflictResolution.getConflictResolver().detectConflicts(unseen -> !unseen.isEmpty());
            return result;
        } catch (RuleViolation e) {
            throw new CommandExecutionException(e.getMessage(), null, e.code());
        } catch (AggregateNotFoundException | IncompatibleAggregateException e) {
            // Axon loads any stream with the target id: a key's events do not make a developer, nor the reverse.
            throw new CommandExecutionException("No such aggregate.", null, NOT_FOUND);
        } catch (LockAcquisitionFailedException e) {
            // Axon locks while loading, before the aggregate's tenant check: busy must not tell that a key exists.
            if (!ownedBySenderOrUnknown(unitOfWork.getMessage())) {
                throw new CommandExecutionException("No such aggregate.", null, NOT_FOUND);
            }
            throw new CommandExecutionException("The service is busy; retry shortly.", null, BUSY);
        } catch (ConflictingModificationException e) {
            if (!ownedBySender(unitOfWork.getMessage())) {
                throw new CommandExecutionException("No such aggregate.", null, NOT_FOUND);
            }
            throw new CommandExecutionException(
                    "It changed since the version given in If-Match; read it again and retry.", null,
                    VERSION_CONFLICT);
        }
    }

    /** As {@link #ownedBySender}, and false when the owner cannot be read now (the store failing too). */
    private boolean ownedBySenderOrUnknown(CommandMessage<?> command) {
        try {
            return ownedBySender(command);
        } catch (RuntimeException unreadable) {
            return false;
        }
    }

    /**
     * Axon rejects an expected version newer than the aggregate's, and gives up waiting for its lock, while loading it,
     * before the aggregate's own tenant check can run; answered as a conflict or as busy, that would tell another
     * developer that the key exists. The owner is the
     * developer named by the stream's first event, read as a window of one: a stream read in part would hold an Axon
     * Server call open.
     */
    private boolean ownedBySender(CommandMessage<?> command) {
        Object tenant = command.getMetaData().get(RequestContext.TENANT);
        if (tenant == null) {
            return true;
        }
        List<DomainEventMessage<?>> firstEvent = events.read(TARGETS.resolveTarget(command).getIdentifier(), 0, 1);
        Object first = firstEvent.isEmpty() ? null : firstEvent.get(0).getPayload();
        String owner = first instanceof ApiKeyCreatedEvent created ? created.developerId()
                : first instanceof DeveloperRegisteredEvent registered ? registered.developerId() : null;
        return tenant.equals(owner);
    }
}
