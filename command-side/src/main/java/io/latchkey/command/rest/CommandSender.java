package io.latchkey.command.rest;

import io.latchkey.command.CommandFailureCodes;
import io.latchkey.command.RuleViolation;
import io.latchkey.support.security.Caller;
import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.RequestContext;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.axonframework.commandhandling.CommandExecutionException;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.modelling.command.AggregateStreamCreationException;
import org.axonframework.modelling.command.ConcurrencyException;
import org.springframework.stereotype.Component;

/**
 * Sends a command with the request's audit metadata and waits for its result, turning expected failures into
 * problem details: unknown aggregate 404, rule violations 409 or 422 by code, a stale {@code If-Match} 412 (RFC 9110
 * 13.1.1), a race between two changes without one 409, an aggregate locked too long 503 with {@code Retry-After}.
 */
@Component
class CommandSender {

    private static final long TIMEOUT_SECONDS = 10;

    private final CommandGateway gateway;

    CommandSender(CommandGateway gateway) {
        this.gateway = gateway;
    }

    /** The handler's result; {@code notFoundDetail} is the whole 404 answer, so it cannot tell more than "no such". */
    <R> R send(Object command, RequestContext ctx, String notFoundDetail) {
        return send(command, Map.of(), ctx, notFoundDetail);
    }

    /**
     * As {@link #send(Object, RequestContext, String)}, with {@code metaData} beside the request's, which wins a name
     * both hold: nothing added here can drop the request's tenant.
     */
    <R> R send(Object command, Map<String, String> metaData, RequestContext ctx, String notFoundDetail) {
        // A command without a tenant may touch every tenant: never one from a caller no credential named, as a path
        // configured public (latchkey.security.public-paths) would let through.
        if (ctx.caller().equals(Caller.ANONYMOUS)) {
            throw ProblemException.unauthorized();
        }
        try {
            return gateway.sendAndWait(GenericCommandMessage.asCommandMessage(command).andMetaData(metaData)
                    .andMetaData(ctx.metaData()), TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (CommandExecutionException e) {
            throw translate(e, notFoundDetail);
        } catch (ConcurrencyException | AggregateStreamCreationException e) {
            // Two commands raced to append to one aggregate; the loser may retry.
            throw ProblemException.conflict(CommandFailureCodes.VERSION_CONFLICT,
                    "The resource was changed concurrently; read it again and retry.");
        }
    }

    private static RuntimeException translate(CommandExecutionException e, String notFoundDetail) {
        Optional<Object> details = e.getDetails();
        if (details.isEmpty()) {
            if (e.getCause() instanceof TimeoutException) {
                return new ProblemException(503, "timeout", "Service unavailable",
                        "The command was not confirmed in time; it may still take effect.");
            }
            return e;
        }
        String code = details.get().toString();
        if (CommandFailureCodes.NOT_FOUND.equals(code)) {
            return ProblemException.notFound(notFoundDetail);
        }
        if (RuleViolation.INVALID_INPUT.contains(code)) {
            return new ProblemException(422, code, "Invalid request", e.getMessage());
        }
        if (CommandFailureCodes.BUSY.equals(code)) {
            return new ProblemException(503, code, "Service unavailable", e.getMessage(), 1);
        }
        if (CommandFailureCodes.VERSION_CONFLICT.equals(code)) {
            return new ProblemException(412, code, "Precondition failed", e.getMessage());
        }
        return ProblemException.conflict(code, e.getMessage());
    }
}
