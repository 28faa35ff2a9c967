package io.latchkey.support.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyRenewedEvent;
import io.latchkey.api.TimeBounds;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Set;
import org.axonframework.serialization.upcasting.event.IntermediateEventRepresentation;
import org.axonframework.serialization.upcasting.event.SingleEventUpcaster;

/**
 * Reads an expiry past {@link TimeBounds} as the last instant within them. Before the command side refused such an
 * expiry, one could be stored, and it overflowed wherever it became epoch milliseconds (the replica's entry, the read
 * models, the expiry schedule), which stopped those projections at that event for good. A key with such an expiry
 * never expires either way; the event keeps what was sent, and readers see the latest instant they can hold.
 */
public final class ExpiryUpcaster extends SingleEventUpcaster {

    /** The last millisecond within the bounds, which every store holds. */
    static final Instant LAST = TimeBounds.END.minusMillis(1);
    private static final BigDecimal END_SECONDS = BigDecimal.valueOf(TimeBounds.END.getEpochSecond());
    private static final Set<String> TYPES = Set.of(ApiKeyCreatedEvent.class.getName(),
            ApiKeyRenewedEvent.class.getName());

    @Override
    protected boolean canUpcast(IntermediateEventRepresentation event) {
        return TYPES.contains(event.getType().getName());
    }

    @Override
    protected IntermediateEventRepresentation doUpcast(IntermediateEventRepresentation event) {
        return event.upcastPayload(event.getType(), JsonNode.class, ExpiryUpcaster::bounded);
    }

    /** The payload with its {@code expiresAt} within the bounds: written as ISO-8601 text, or as epoch seconds. */
    static JsonNode bounded(JsonNode payload) {
        JsonNode expiry = payload.get("expiresAt");
        if (payload instanceof ObjectNode object && expiry != null && beyond(expiry)) {
            object.put("expiresAt", LAST.toString());
        }
        return payload;
    }

    private static boolean beyond(JsonNode expiry) {
        if (expiry.isNumber()) {
            return expiry.decimalValue().compareTo(END_SECONDS) >= 0;
        }
        if (expiry.isTextual()) {
            try {
                return !Instant.parse(expiry.asText()).isBefore(TimeBounds.END);
            } catch (DateTimeParseException unreadable) {
                // Not one this reader can judge: left as written.
                return false;
            }
        }
        return false;
    }
}
