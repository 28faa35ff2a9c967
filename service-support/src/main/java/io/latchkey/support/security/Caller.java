package io.latchkey.support.security;

import io.latchkey.support.web.ProblemException;

/**
 * The authenticated party behind a request. {@code actor} is what events record as "who": {@code operator} for the
 * operator token, {@code developer:<developerId>/key:<keyId>} for a developer's admin key. {@code developerId} is the
 * tenant a developer caller is confined to; null for the operator, who may act on every tenant.
 */
public record Caller(String actor, String developerId, String keyId) {

    public static final Caller OPERATOR = new Caller("operator", null, null);
    public static final Caller ANONYMOUS = new Caller("anonymous", null, null);
    /** An edge with the usage token: it may report usage and ask the fallback validation, and nothing else. */
    public static final Caller EDGE = new Caller("edge", null, null);

    /** A party confined to no tenant that is not the operator either, such as the service's own expiry sweep. */
    public Caller(String actor) {
        this(actor, null, null);
    }

    public static Caller developer(String developerId, String keyId) {
        return new Caller("developer:" + developerId + "/key:" + keyId, developerId, keyId);
    }

    public boolean isOperator() {
        return this.equals(OPERATOR);
    }

    /** May this caller see or change what belongs to {@code ownerDeveloperId}? */
    public boolean mayAccess(String ownerDeveloperId) {
        return isOperator() || developerId != null && developerId.equals(ownerDeveloperId);
    }

    /**
     * For routes that are the operator's alone (registration, rate limits, compliance reads across tenants). 403
     * rather than 404: the answer is the same for every id, so it reveals nothing about what exists.
     */
    public void requireOperator() {
        if (!isOperator()) {
            throw new ProblemException(403, "operator-only", "Forbidden",
                    "Only the operator token may do this.");
        }
    }
}
