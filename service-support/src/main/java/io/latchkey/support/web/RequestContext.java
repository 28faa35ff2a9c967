package io.latchkey.support.web;

import io.latchkey.support.security.Caller;
import java.util.Map;

/**
 * Who made a request, under which id, from where. Controllers receive it as a parameter; its {@link #metaData()}
 * travels with every command so every event records who, which request and from where.
 */
public record RequestContext(Caller caller, String requestId, String sourceAddress) {

    public static final String ATTRIBUTE = RequestContext.class.getName();
    public static final String ACTOR = "actor";
    public static final String REQUEST_ID = "requestId";
    public static final String SOURCE_ADDRESS = "sourceAddress";

    public Map<String, String> metaData() {
        return Map.of(ACTOR, caller.actor(), REQUEST_ID, requestId, SOURCE_ADDRESS, sourceAddress);
    }
}
