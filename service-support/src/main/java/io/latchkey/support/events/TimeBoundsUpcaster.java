package io.latchkey.support.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyRenewedEvent;
import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.api.TimeBounds;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import org.axonframework.serialization.upcasting.event.IntermediateEventRepresentation;
import org.axonframework.serialization.upcasting.event.SingleEventUpcaster;

/**
 * Reads a time past {@link TimeBounds} as the last instant within them: a key's expiry, and a usage report's minutes
 * and last use. Before the command side refused such times, they could be stored, and they overflowed wherever they
 * became epoch milliseconds (the replica's entry, the read models, the expiry schedule), which stopped those
 * projections at that event for good. A key with such an expiry never expires either way; the events keep what was
 * sent, and readers see the latest instant they can hold.
 */
public final class TimeBoundsUpcaster extends SingleEventUpcaster {

    /** The last millisecond within the bounds, which every store holds. */
    static final Instant LAST = TimeBounds.END.minusMillis(1);
    private static final Instant LAST_MINUTE = LAST.truncatedTo(ChronoUnit.MINUTES);
    private static final BigDecimal END_SECONDS = BigDecimal.valueOf(TimeBounds.END.getEpochSecond());
    private static final String USAGE = ApiKeyUsageRecordedEvent.class.getName();
    private static final Set<String> TYPES = Set.of(ApiKeyCreatedEvent.class.getName(),
            ApiKeyRenewedEvent.class.getName(), USAGE);

    @Override
    protected boolean canUpcast(IntermediateEventRepresentation event) {
        return TYPES.contains(event.getType().getName());
    }

    @Override
    protected IntermediateEventRepresentation doUpcast(IntermediateEventRepresentation event) {
        boolean usage = USAGE.equals(event.getType().getName());
        return event.upcastPayload(event.getType(), JsonNode.class, usage ? TimeBoundsUpcaster::usage
                : payload -> bounded(payload, "expiresAt", LAST));
    }

    private static JsonNode usage(JsonNode payload) {
        bounded(payload, "lastUsedAt", LAST);
        JsonNode counts = payload.get("counts");
        if (counts != null && counts.isArray()) {
            counts.forEach(count -> bounded(count, "minute", LAST_MINUTE));
        }
        return payload;
    }

    /** {@code node} with its {@code field} within the bounds: written as ISO-8601 text, or as epoch seconds. */
    static JsonNode bounded(JsonNode node, String field, Instant last) {
        JsonNode time = node.get(field);
        if (node instanceof ObjectNode object && time != null && beyond(time)) {
            object.put(field, last.toString());
        }
        return node;
    }

    private static boolean beyond(JsonNode time) {
        if (time.isNumber()) {
            return time.decimalValue().compareTo(END_SECONDS) >= 0;
        }
        if (time.isTextual()) {
            try {
                return !Instant.parse(time.asText()).isBefore(TimeBounds.END);
            } catch (DateTimeParseException unreadable) {
                // Not one this reader can judge: left as written.
                return false;
            }
        }
        return false;
    }
}
