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
 * Reads a time outside {@link TimeBounds} as the nearest within them: a key's expiry as the last millisecond of
 * 9999, a usage report's last use likewise, and its counts' minutes as the last minute of 9999 or the first of 1970.
 * Before the command side refused such times, they could be stored, and they overflowed wherever they became epoch
 * milliseconds (the replica's entry, the read models, the expiry schedule), which stopped those projections at that
 * event for good. A key with such an expiry never expires either way; the events keep what was sent, and readers see
 * times they can hold.
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

    /**
     * {@code node} with its {@code field} within the bounds, {@code last} for one after them and the epoch for one
     * before; written as ISO-8601 text, or as epoch seconds.
     */
    static JsonNode bounded(JsonNode node, String field, Instant last) {
        JsonNode time = node.get(field);
        int side = time == null ? 0 : side(time);
        if (node instanceof ObjectNode object && side != 0) {
            object.put(field, (side > 0 ? last : Instant.EPOCH).toString());
        }
        return node;
    }

    /** 1 after the bounds, -1 before them, 0 within them or not a time this reader can judge. */
    private static int side(JsonNode time) {
        if (time.isNumber()) {
            BigDecimal seconds = time.decimalValue();
            return seconds.compareTo(END_SECONDS) >= 0 ? 1 : seconds.signum() < 0 ? -1 : 0;
        }
        if (time.isTextual()) {
            try {
                Instant at = Instant.parse(time.asText());
                return TimeBounds.holds(at) ? 0 : at.isBefore(Instant.EPOCH) ? -1 : 1;
            } catch (DateTimeParseException unreadable) {
                // Left as written.
                return 0;
            }
        }
        return 0;
    }
}
