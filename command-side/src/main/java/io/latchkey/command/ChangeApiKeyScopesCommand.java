package io.latchkey.command;

import java.time.Instant;
import java.util.List;
import org.axonframework.modelling.command.TargetAggregateIdentifier;
import org.axonframework.modelling.command.TargetAggregateVersion;

/** Replaces the scopes a key grants. A non-null {@code expectedVersion} makes the change conditional. */
public record ChangeApiKeyScopesCommand(@TargetAggregateIdentifier String keyId, List<String> scopes, Instant now,
                                        @TargetAggregateVersion Long expectedVersion) {
}
