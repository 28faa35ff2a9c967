package io.latchkey.command;

import org.axonframework.modelling.command.AggregateNotFoundException;

/**
 * The tenant rule the aggregates share. A command's {@code tenant} metadata names the developer its sender is
 * confined to; without it (operator, expiry sweep) the command may touch every tenant.
 */
final class Tenancy {

    private Tenancy() {
    }

    /**
     * Throws the failure of a nonexistent aggregate unless {@code tenant} is absent or owns the aggregate, so that
     * another developer's aggregate cannot be told apart from one that does not exist.
     */
    static void require(String tenant, String owner, String aggregateId) {
        if (tenant != null && !tenant.equals(owner)) {
            throw new AggregateNotFoundException(aggregateId, "No such aggregate.");
        }
    }
}
