package io.latchkey.query.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.latchkey.validator.Decision;

/**
 * The answer for a key that does not authenticate. To the edges and the operator, a key the replica knows (revoked,
 * expired, or a secret a rotation replaced) is named with its reason, so that an edge answering through here counts
 * the refusal in that key's usage, as it would from its own replica. To anyone else (the path made public again) it is
 * the one answer for every such key, unknown and malformed ones too: telling them apart would confirm to the holder
 * of a stolen key that it once existed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record UnauthenticatedResponse(Decision.Status status, String keyId, String developerId) {

    static final UnauthenticatedResponse INSTANCE = new UnauthenticatedResponse(Decision.Status.NOT_FOUND, null, null);

    /** The refusal as decided, for a caller trusted with it; the one answer where no key was found. */
    static UnauthenticatedResponse of(Decision decision) {
        return decision.keyId() == null ? INSTANCE
                : new UnauthenticatedResponse(decision.status(), decision.keyId(), decision.developerId());
    }
}
