package io.latchkey.command;

import java.time.Instant;
import org.axonframework.modelling.command.TargetAggregateIdentifier;
import org.axonframework.modelling.command.TargetAggregateVersion;

/**
 * Changes a developer account's name and e-mail address (both, as they are to be); with an {@code expectedVersion},
 * only if the account is still at that version.
 */
public record ChangeDeveloperDetailsCommand(@TargetAggregateIdentifier String developerId, String name, String email,
                                            Instant now, @TargetAggregateVersion Long expectedVersion) {
}
