package io.latchkey.query.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latchkey.support.security.Caller;
import io.latchkey.support.web.RequestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.UnknownSerializedType;

/**
 * Stored events as the history routes show them, a key's and a developer's alike: who caused each, in which request
 * (and under which id of the client's), from where (to those who may know), and its fields without a secret hash.
 */
final class HistoryEntries {

    /** Events a history page holds unless the request asks for another number, and the most it may ask for. */
    static final int PAGE = 100;
    static final int MAX_PAGE = 1_000;

    /**
     * Fields the operator alone sees: a usage report's edge and its report number. An edge numbers the reports it sends
     * for all the keys it decides for, so the gaps between one key's numbers would count the seconds in which other
     * developers' keys were used at that edge; and edges are the operator's processes, as in propagation receipts. Left
     * out of any event's fields, so also of a type a later release added.
     */
    private static final List<String> OPERATORS_FIELDS = List.of("edgeId", "batchSequence");

    private final ObjectMapper json;

    HistoryEntries(ObjectMapper json) {
        this.json = json;
    }

    HistoryEntry entry(DomainEventMessage<?> event, String stream, Caller caller) {
        MetaData metaData = event.getMetaData();
        String actor = text(metaData, RequestContext.ACTOR);
        Object payload = event.getPayload();
        // A type of a later release (during a rolling upgrade, say): shown by its name and its fields as stored.
        String type = payload instanceof UnknownSerializedType later
                ? simpleName(later.serializedType().getName()) : event.getPayloadType().getSimpleName();
        JsonNode fields = payload instanceof UnknownSerializedType later ? storedFields(later)
                : json.valueToTree(payload);
        boolean shown = originShownTo(caller, actor);
        if (!caller.isOperator() && fields instanceof ObjectNode object) {
            object.remove(OPERATORS_FIELDS);
        }
        return new HistoryEntry(stream, event.getSequenceNumber(), type, event.getTimestamp(), actor,
                text(metaData, RequestContext.REQUEST_ID),
                shown ? text(metaData, RequestContext.CLIENT_REQUEST_ID) : null,
                shown ? text(metaData, RequestContext.SOURCE_ADDRESS) : null, withoutSecretHashes(fields));
    }

    /** Null when the stored form is not one JSON can show: the entry still names the event, when and who. */
    private static JsonNode storedFields(UnknownSerializedType later) {
        try {
            return later.readData(JsonNode.class);
        } catch (RuntimeException unconvertible) {
            return null;
        }
    }

    private static String simpleName(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    /**
     * Where the operator and the edges act from (their hosts, the edges' internal addresses), and the ids their clients
     * give requests, are the operator's to know, as in propagation receipts; a developer sees its own admin keys'.
     */
    private static boolean originShownTo(Caller caller, String actor) {
        return caller.isOperator() || actor != null && actor.startsWith("developer:" + caller.developerId() + "/");
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
