package io.latchkey.query.rest;

import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.Ids;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.query.KeyProjection;
import io.latchkey.support.web.RequestContext;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.messaging.MetaData;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /v1/keys/{keyId}} from the read model and {@code GET /v1/keys/{keyId}/history} from the event store. */
@RestController
@RequestMapping("/v1/keys/{keyId}")
class KeyController {

    private final KeyProjection keys;
    private final EventStore eventStore;
    private final ObjectMapper json;
    private final Clock clock;

    KeyController(KeyProjection keys, EventStore eventStore, ObjectMapper json, Clock clock) {
        this.keys = keys;
        this.eventStore = eventStore;
        this.json = json;
        this.clock = clock;
    }

    @GetMapping
    KeyResponse key(@PathVariable String keyId, RequestContext ctx) {
        return keys.find(Ids.require(keyId, Ids.NO_SUCH_KEY))
                .filter(key -> ctx.caller().mayAccess(key.developerId()))
                .map(key -> KeyResponse.of(key, clock.instant()))
                .orElseThrow(() -> ProblemException.notFound(Ids.NO_SUCH_KEY));
    }

    /**
     * Read from sequence 0 rather than through the latest snapshot, so the audit trail is always complete. A stream
     * that does not start with a key's creation is some other aggregate's and answers 404 like an unknown id, and so
     * does another developer's key.
     */
    @GetMapping("/history")
    HistoryResponse history(@PathVariable String keyId, RequestContext ctx) {
        List<? extends DomainEventMessage<?>> stream =
                eventStore.readEvents(Ids.require(keyId, Ids.NO_SUCH_KEY), 0).asStream().toList();
        if (stream.isEmpty() || !(stream.get(0).getPayload() instanceof ApiKeyCreatedEvent created)
                || !ctx.caller().mayAccess(created.developerId())) {
            throw ProblemException.notFound(Ids.NO_SUCH_KEY);
        }
        List<HistoryEntry> events = stream.stream().map(this::entry).toList();
        return new HistoryResponse(keyId, events);
    }

    private HistoryEntry entry(DomainEventMessage<?> event) {
        MetaData metaData = event.getMetaData();
        return new HistoryEntry(event.getSequenceNumber(), event.getPayloadType().getSimpleName(),
                event.getTimestamp(), text(metaData, RequestContext.ACTOR), text(metaData, RequestContext.REQUEST_ID),
                text(metaData, RequestContext.SOURCE_ADDRESS),
                withoutSecretHashes(json.valueToTree(event.getPayload())));
    }

    /** Events keep secret hashes for the replica; a response never shows one, whatever an event names it. */
    private static JsonNode withoutSecretHashes(JsonNode payload) {
        if (payload instanceof ObjectNode object) {
            List<String> hashes = new ArrayList<>();
            object.fieldNames().forEachRemaining(name -> {
                if (name.toLowerCase(Locale.ROOT).endsWith("secrethash")) {
                    hashes.add(name);
                }
            });
            object.remove(hashes);
        }
        return payload;
    }

    private static String text(MetaData metaData, String name) {
        Object value = metaData.get(name);
        return value == null ? null : value.toString();
    }
}
