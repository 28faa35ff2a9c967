package io.latchkey.query;

import java.util.Set;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.springframework.stereotype.Component;

/**
 * After a crash of the embedded store, puts into the replica what the event log now holds for the keys and developers
 * this query side changed in the seconds before it ({@link ReplicaSnapshot} tells which). The crash may have taken
 * back events the replica projection had folded and written to every edge, and the events appended since reuse their
 * sequence numbers, so the map's versions alone would keep the lost state: a scope a change nobody was answered for
 * granted, or a rotation's secret that its retry replaced, refused at every edge while the API shows it.
 */
@Component
class ReplicaCrashRepair implements ReplicaSnapshot.CrashRepair {

    private final ActiveKeyReplicaProjection projection;
    private final EventStore eventStore;

    ReplicaCrashRepair(ReplicaSnapshot snapshot, ActiveKeyReplicaProjection projection, EventStore eventStore) {
        this.projection = projection;
        this.eventStore = eventStore;
        snapshot.onStoreCrash(this);
    }

    /** Each stream from its first event, never from a snapshot of the aggregate (the command side's own type). */
    @Override
    public int repair(Set<String> developerIds, Set<String> keyIds) {
        return projection.repair(developerIds, keyIds, id -> eventStore.readEvents(id, 0).asStream());
    }
}
