package io.latchkey.query.rest;

import java.time.Instant;
import java.util.List;

/**
 * Whether a key's latest change ({@code version}) has reached every member of the replica cluster.
 *
 * @param complete    true when every member answered and holds that version for every hash of the key
 * @param completedBy when the last member was first seen holding it (within this request); null while incomplete
 * @param checkedAt   when the members were last asked
 */
record PropagationResponse(String keyId, long version, boolean complete, Instant completedBy, Instant checkedAt,
                           List<MemberReceipt> members) {

    /**
     * @param heldVersion  the lowest version the member holds over the key's hashes; null when any is missing
     * @param reachedBy    when this request first saw the member holding the change (an upper bound); null if not yet
     * @param replicaAsOf  the event-log time the member's replica is known to reflect
     * @param error        why the member did not answer, or null
     */
    record MemberReceipt(String member, String instance, String address, boolean reached, Long heldVersion,
                         Instant reachedBy, Instant replicaAsOf, String error) {
    }
}
