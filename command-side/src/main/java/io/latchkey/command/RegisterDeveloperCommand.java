package io.latchkey.command;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Registers a developer account under a new id. */
public record RegisterDeveloperCommand(@TargetAggregateIdentifier String developerId, String name, String email,
                                       Instant now) {
}
