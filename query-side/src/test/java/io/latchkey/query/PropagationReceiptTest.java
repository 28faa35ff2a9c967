package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.RateLimit;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.TrackingEventProcessor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * {@code GET /v1/keys/{keyId}/propagation} against real members: the query side's own and a second member standing in
 * for an edge, each answering from its own copy.
 */
class PropagationReceiptTest extends QuerySideTestSupport {

    private static HazelcastInstance edge;

    @Autowired
    EventProcessingConfiguration processing;

    @Autowired
    HazelcastInstance querySide;

    /** Joins once the query side's member is up (the context starts after static set-up would run). */
    @BeforeEach
    void startEdgeMember() {
        if (edge == null) {
            edge = Hazelcast.newHazelcastInstance(new ReplicaCluster(CLUSTER_NAME, "127.0.0.1", HAZELCAST_PORT + 10,
                    List.of("127.0.0.1:" + HAZELCAST_PORT)).memberConfig("receipt-test-edge-" + UUID.randomUUID()));
            await().atMost(Duration.ofSeconds(30)).until(() -> querySide.getCluster().getMembers().size() == 2);
        }
    }

    @AfterAll
    static void stopEdgeMember() {
        if (edge != null) {
            edge.shutdown();
        }
    }

    private IssuedKey createKey() {
        IssuedKey key = IssuedKey.issue(UUID.randomUUID().toString());
        appendKeyEvent(key.keyId(), 0, new ApiKeyCreatedEvent(key.keyId(), key.developerId(), "receipts",
                key.secretHash(), "lk_test_…abcd", List.of("read"), now(), null, new RateLimit(100, 60, null)));
        return key;
    }

    private JsonNode receipt(String keyId, String wait) {
        Response response = get("/v1/keys/" + keyId + "/propagation?wait=" + wait);
        assertThat(response.status()).as(response.raw()).isEqualTo(200);
        return response.body();
    }

    /** Waits until every member holds the key, then stops the replica writer: the key's next change reaches none. */
    private TrackingEventProcessor propagatedThenWriterStopped(IssuedKey key) {
        assertThat(receipt(key.keyId(), "5000").get("complete").asBoolean()).isTrue();
        TrackingEventProcessor replica = processing
                .eventProcessor(ActiveKeyReplicaProjection.GROUP, TrackingEventProcessor.class).orElseThrow();
        replica.shutDown();
        return replica;
    }

    private static List<JsonNode> members(JsonNode receipt) {
        List<JsonNode> members = new ArrayList<>();
        receipt.get("members").forEach(members::add);
        return members;
    }

    @Test
    void aRevocationIsReportedOnceEveryMemberHoldsItWithWhenEachWasSeenHoldingIt() {
        IssuedKey key = createKey();
        JsonNode created = receipt(key.keyId(), "5000");
        assertThat(created.get("complete").asBoolean()).as(created.toString()).isTrue();
        assertThat(created.get("version").asLong()).isZero();

        appendKeyEvent(key.keyId(), 1, new ApiKeyRevokedEvent(key.keyId(), "leaked", now()));
        JsonNode revoked = receipt(key.keyId(), "5000");
        assertThat(revoked.get("complete").asBoolean()).as(revoked.toString()).isTrue();
        assertThat(revoked.get("version").asLong()).isEqualTo(1);
        assertThat(revoked.get("completedBy").isTextual()).isTrue();
        assertThat(members(revoked)).hasSize(2).allSatisfy(member -> {
            assertThat(member.get("reached").asBoolean()).isTrue();
            assertThat(member.get("heldVersion").asLong()).isEqualTo(1);
            assertThat(member.get("reachedBy").isTextual()).isTrue();
            assertThat(member.get("replicaAsOf").isTextual()).as("the query side confirms while caught up").isTrue();
            assertThat(member.get("instance").asText()).isNotBlank();
        });
        assertThat(members(revoked)).anySatisfy(member ->
                assertThat(member.get("instance").asText()).startsWith("receipt-test-edge-"));
    }

    @Test
    void aReceiptsTimesAreToTheMillisecond() {
        IssuedKey key = createKey();
        for (int i = 0; i < 3; i++) {
            JsonNode receipt = receipt(key.keyId(), "5000");
            for (String time : List.of(receipt.get("checkedAt").asText(), receipt.get("completedBy").asText())) {
                assertThat(Instant.parse(time)).as(time).isEqualTo(Instant.parse(time).truncatedTo(ChronoUnit.MILLIS));
            }
        }
    }

    @Test
    void aChangeTheWriterHasNotAppliedIsReportedIncompleteWithWhatEachMemberHolds() throws Exception {
        IssuedKey key = createKey();
        TrackingEventProcessor replica = propagatedThenWriterStopped(key);
        try {
            IssuedKey next = key.rotated();
            appendKeyEvent(key.keyId(), 1, new ApiKeyRotatedEvent(key.keyId(), next.secretHash(), "lk_test_…new",
                    key.secretHash(), now().plusSeconds(60), now(), now().plusSeconds(60)));
            JsonNode pending = receipt(key.keyId(), "300");
            assertThat(pending.get("complete").asBoolean()).isFalse();
            assertThat(pending.get("completedBy").isNull()).isTrue();
            assertThat(pending.get("version").asLong()).isEqualTo(1);
            assertThat(members(pending)).hasSize(2).allSatisfy(member -> {
                assertThat(member.get("reached").asBoolean()).isFalse();
                assertThat(member.get("heldVersion").isNull())
                        .as("the rotated-in secret is in no member's copy yet").isTrue();
                assertThat(member.get("reachedBy").isNull()).isTrue();
            });
        } finally {
            replica.start();
        }
        JsonNode applied = receipt(key.keyId(), "10000");
        assertThat(applied.get("complete").asBoolean()).as(applied.toString()).isTrue();
        assertThat(members(applied)).allSatisfy(member -> assertThat(member.get("heldVersion").asLong()).isEqualTo(1));
    }

    @Test
    void waitingChecksAreBoundedAndAnExtraOneIsTooManyRequests() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        IssuedKey key = createKey();
        TrackingEventProcessor replica = propagatedThenWriterStopped(key);
        try {
            appendKeyEvent(key.keyId(), 1, new ApiKeyRevokedEvent(key.keyId(), "leaked", now()));
            // As many as may wait (16 by default) wait their whole 3 s; others, meanwhile, are refused at once.
            List<CompletableFuture<Response>> waiting = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                waiting.add(CompletableFuture.supplyAsync(() -> {
                    Response answer;
                    do {
                        // Asked again should one of the short checks below hold a place at that moment.
                        answer = get("/v1/keys/" + key.keyId() + "/propagation?wait=3000");
                    } while (answer.status() == 429);
                    return answer;
                }, pool));
            }
            Response extra = get("/v1/keys/" + key.keyId() + "/propagation?wait=10");
            for (int i = 0; i < 300 && extra.status() != 429 && waiting.stream().noneMatch(CompletableFuture::isDone);
                 i++) {
                Thread.sleep(10);
                extra = get("/v1/keys/" + key.keyId() + "/propagation?wait=10");
            }
            assertThat(extra.status()).as(extra.raw()).isEqualTo(429);
            assertThat(extra.contentType()).startsWith("application/problem+json");
            assertThat(extra.retryAfter()).isEqualTo("1");
            assertThat(get("/v1/keys/" + key.keyId() + "/propagation").status())
                    .as("a check without wait is never refused").isEqualTo(200);
            for (CompletableFuture<Response> answer : waiting) {
                assertThat(answer.get().status()).isEqualTo(200);
            }
            assertThat(get("/v1/keys/" + key.keyId() + "/propagation?wait=10").status())
                    .as("the wait over, another may wait").isEqualTo(200);
        } finally {
            replica.start();
            pool.shutdownNow();
        }
    }

    @Test
    void badWaitsAndUnknownKeysAreRefusedClearly() {
        IssuedKey key = createKey();
        for (String wait : List.of("abc", "-1", "10001", "1e3")) {
            Response response = get("/v1/keys/" + key.keyId() + "/propagation?wait=" + wait);
            assertThat(response.status()).as(wait + ": " + response.raw()).isEqualTo(400);
            assertThat(response.contentType()).startsWith("application/problem+json");
            assertThat(response.body().get("type").asText()).endsWith("/invalid-wait");
        }
        assertThat(get("/v1/keys/" + UUID.randomUUID() + "/propagation").status()).isEqualTo(404);
        assertThat(get("/v1/keys/" + key.developerId() + "/propagation").status())
                .as("a developer id is not a key").isEqualTo(404);
        assertThat(get("/v1/keys/not-a-uuid/propagation").status()).isEqualTo(404);
        assertThat(get("/v1/keys/" + key.keyId() + "/propagation", null).status()).isEqualTo(401);
    }
}
