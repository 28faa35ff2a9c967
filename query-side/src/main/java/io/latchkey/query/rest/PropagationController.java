package io.latchkey.query.rest;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.support.web.Ids;
import io.latchkey.support.web.RequestContext;
import io.latchkey.support.web.ProblemException;
import io.latchkey.validator.hazelcast.ReplicaProbe;
import io.latchkey.validator.hazelcast.ReplicaProbe.MemberState;
import io.latchkey.validator.spring.Settings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /v1/keys/{keyId}/propagation[?wait=ms]}: has the key's latest change reached every member that
 * validates, and by when. The target comes from the event store (the key's last sequence number and every secret
 * hash it ever had), the answers from each member's own copy ({@link ReplicaProbe}). With {@code wait}, members are
 * asked again every few milliseconds until all hold the change or the wait is over, and each receipt says when it
 * was first seen: an upper bound on when that member could first enforce the change.
 */
@RestController
@RequestMapping(produces = MediaType.APPLICATION_JSON_VALUE)
class PropagationController {

    static final long MAX_WAIT_MILLIS = 10_000;
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);
    private static final long POLL_MILLIS = 5;

    private final EventStore eventStore;
    private final HazelcastInstance hazelcast;
    private final Clock clock;
    /**
     * A waiting check holds a request thread and probes every member every few milliseconds: so many at once could
     * starve {@code POST /v1/validate}, which edges fall back on.
     */
    private final Places waiting;

    PropagationController(EventStore eventStore, HazelcastInstance hazelcast, Clock clock,
                          @Value("${latchkey.propagation.max-waiting:16}") int maxWaiting) {
        this.eventStore = eventStore;
        this.hazelcast = hazelcast;
        this.clock = clock;
        this.waiting = new Places(Settings.atLeast("latchkey.propagation.max-waiting", maxWaiting, 0),
                "too-many-waiting",
                "Too many propagation checks are waiting; ask again later, or without wait.");
    }

    @GetMapping("/v1/keys/{keyId}/propagation")
    PropagationResponse propagation(@PathVariable String keyId,
                                    @RequestParam(name = "wait", required = false) String waitParameter,
                                    @RequestParam MultiValueMap<String, String> parameters, RequestContext ctx)
            throws InterruptedException {
        QueryParameters.only(parameters, List.of("wait"));
        long waitMillis = waitMillis(waitParameter);
        Target target = target(Ids.require(keyId, Ids.NO_SUCH_KEY), ctx);
        // The cluster's layout (instance names, addresses, errors naming them) is the operator's: that network is the
        // trust boundary (docs/architecture.md), and a tenant needs only whether and when its change arrived.
        boolean operator = ctx.caller().isOperator();
        if (waitMillis == 0) {
            return receipt(keyId, target, 0, operator);
        }
        return waiting.within(ctx.caller().developerId(), () -> receipt(keyId, target, waitMillis, operator));
    }

    private PropagationResponse receipt(String keyId, Target target, long waitMillis, boolean operator)
            throws InterruptedException {
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        Map<String, Instant> reachedBy = new HashMap<>();
        while (true) {
            Instant checkedAt = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            List<MemberState> states = ReplicaProbe.probe(hazelcast, target.hashes(), PROBE_TIMEOUT);
            states.stream().filter(s -> s.holds(target.version()))
                    .forEach(s -> reachedBy.putIfAbsent(s.memberId(), checkedAt));
            boolean complete = states.stream().allMatch(s -> s.holds(target.version()));
            if (complete || System.nanoTime() >= deadline) {
                return response(keyId, target.version(), complete, checkedAt, states, reachedBy, operator);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    private static long waitMillis(String parameter) {
        if (parameter == null) {
            return 0;
        }
        try {
            long millis = Long.parseLong(parameter);
            if (millis >= 0 && millis <= MAX_WAIT_MILLIS) {
                return millis;
            }
        } catch (NumberFormatException ignored) {
            // answered below, like an out-of-range number
        }
        // 400 like every other malformed query parameter (limit, after, stream, from, to).
        throw new ProblemException(400, "invalid-wait", "Bad request",
                "'wait' must be a number of milliseconds from 0 to " + MAX_WAIT_MILLIS + ".");
    }

    /**
     * The key's last version and every hash it ever had, from its stream; 404 unless the stream is a key's and
     * belongs to the caller's tenant.
     */
    private Target target(String keyId, RequestContext ctx) {
        Set<KeyHash> hashes = new LinkedHashSet<>();
        long version = -1;
        boolean first = true;
        DomainEventStream stream = eventStore.readEvents(keyId, 0);
        while (stream.hasNext()) {
            DomainEventMessage<?> event = stream.next();
            Object payload = event.getPayload();
            if (first && !(payload instanceof ApiKeyCreatedEvent created
                    && ctx.caller().mayAccess(created.developerId()))) {
                break;
            }
            first = false;
            if (payload instanceof ApiKeyCreatedEvent created) {
                hashes.add(new KeyHash(created.secretHash()));
            } else if (payload instanceof ApiKeyRotatedEvent rotated) {
                hashes.add(new KeyHash(rotated.secretHash()));
                hashes.add(new KeyHash(rotated.previousSecretHash()));
            }
            version = event.getSequenceNumber();
        }
        if (hashes.isEmpty()) {
            throw ProblemException.notFound(Ids.NO_SUCH_KEY);
        }
        return new Target(version, hashes);
    }

    private static PropagationResponse response(String keyId, long version, boolean complete, Instant checkedAt,
                                                List<MemberState> states, Map<String, Instant> reachedBy,
                                                boolean operator) {
        List<PropagationResponse.MemberReceipt> members = new ArrayList<>();
        states.stream().sorted(Comparator.comparing(MemberState::address)).forEach(state -> members.add(
                new PropagationResponse.MemberReceipt(state.memberId(), operator ? state.instance() : null,
                        operator ? state.address() : null, state.holds(version),
                        state.lowestVersion() < 0 ? null : state.lowestVersion(), reachedBy.get(state.memberId()),
                        state.asOf(), operator || state.error() == null ? state.error() : "no answer")));
        Instant completedBy = complete
                ? members.stream().map(PropagationResponse.MemberReceipt::reachedBy).max(Comparator.naturalOrder()).orElse(checkedAt)
                : null;
        return new PropagationResponse(keyId, version, complete, completedBy, checkedAt, members);
    }

    private record Target(long version, Set<KeyHash> hashes) {
    }
}
