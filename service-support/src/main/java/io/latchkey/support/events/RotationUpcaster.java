package io.latchkey.support.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latchkey.api.ApiKeyRotatedEvent;
import org.axonframework.serialization.upcasting.event.IntermediateEventRepresentation;
import org.axonframework.serialization.upcasting.event.SingleEventUpcaster;

/**
 * Gives a rotation stored before {@link ApiKeyRotatedEvent#earlierSecretsValidUntil()} existed that field, at its
 * {@code rotatedAt}: those rotations ended every secret rotated out before at once, and a replay must not bring
 * one back to life for the rest of its old grace period.
 */
public final class RotationUpcaster extends SingleEventUpcaster {

    private static final String TYPE = ApiKeyRotatedEvent.class.getName();
    private static final String FIELD = "earlierSecretsValidUntil";

    @Override
    protected boolean canUpcast(IntermediateEventRepresentation event) {
        return TYPE.equals(event.getType().getName());
    }

    @Override
    protected IntermediateEventRepresentation doUpcast(IntermediateEventRepresentation event) {
        return event.upcastPayload(event.getType(), JsonNode.class, payload -> {
            JsonNode earlier = payload.get(FIELD);
            if (payload instanceof ObjectNode rotation && (earlier == null || earlier.isNull())
                    && payload.hasNonNull("rotatedAt")) {
                rotation.set(FIELD, payload.get("rotatedAt").deepCopy());
            }
            return payload;
        });
    }
}
