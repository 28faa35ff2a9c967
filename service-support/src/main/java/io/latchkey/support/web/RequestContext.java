package io.latchkey.support.web;

import io.latchkey.support.security.Caller;
import java.util.HashMap;
import java.util.Map;

/**
 * Who made a request, under which id, from where. Controllers receive it as a parameter; its {@link #metaData()}
 * travels with every command so every event records who, which request and from where. {@code requestId} is the
 * service's own, unique to the request; {@code clientRequestId} what the client sent as its id (null if nothing
 * usable), which may repeat or copy another's, so an audit record keeps it apart.
 */
public record RequestContext(Caller caller, String requestId, String clientRequestId, String sourceAddress) {

    public static final String ATTRIBUTE = RequestContext.class.getName();
    public static final String ACTOR = "actor";
    public static final String REQUEST_ID = "requestId";
    public static final String CLIENT_REQUEST_ID = "clientRequestId";
    public static final String SOURCE_ADDRESS = "sourceAddress";
    /**
     * Command metadata: the developer a developer caller is confined to. Absent for the operator and for the
     * service's own commands (expiry), which may touch every tenant. Aggregates check it, so tenancy holds for every
     * way a command can arrive.
     */
    public static final String TENANT = "tenant";

    /** A request no client sent an id for: the service's own (expiry), or a test's. */
    public RequestContext(Caller caller, String requestId, String sourceAddress) {
        this(caller, requestId, null, sourceAddress);
    }

    public Map<String, String> metaData() {
        Map<String, String> metaData = new HashMap<>(Map.of(
                ACTOR, caller.actor(), REQUEST_ID, requestId, SOURCE_ADDRESS, sourceAddress));
        if (clientRequestId != null) {
            metaData.put(CLIENT_REQUEST_ID, clientRequestId);
        }
        if (caller.developerId() != null) {
            metaData.put(TENANT, caller.developerId());
        }
        return Map.copyOf(metaData);
    }
}
