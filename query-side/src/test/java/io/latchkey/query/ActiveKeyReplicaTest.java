package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastException;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyExpiredEvent;
import io.latchkey.api.ApiKeyQuotaChangedEvent;
import io.latchkey.api.ApiKeyRateLimitChangedEvent;
import io.latchkey.api.ApiKeyRenewedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.ApiKeyScopesChangedEvent;
import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.api.DeveloperRateLimitChangedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.api.UsageCount;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.validator.KeyReplica;
import io.latchkey.validator.hazelcast.HazelcastKeyReplica;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import io.latchkey.validator.hazelcast.ReplicaMaps;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.axonframework.eventhandling.AnnotationEventHandlerAdapter;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** The replicated map of secret hashes as the edges see it, fed by real events through the real processor. */
class ActiveKeyReplicaTest extends QuerySideTestSupport {

    private static final Duration REPLICATED = Duration.ofSeconds(10);

    @Autowired
    ActiveKeyReplicaProjection projection;

    private ReplicaWriter map() {
        return ReplicaWriter.of(hazelcast);
    }

    private ActiveKeyEntry awaitEntry(String secretHash, long version) {
        KeyHash hash = new KeyHash(secretHash);
        // A local map read is cheap: poll often, so measured latencies are the replica's, not the poll's.
        await().atMost(REPLICATED).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                .until(() -> map().read(hash) != null && map().read(hash).version() == version);
        return map().read(hash);
    }

    private IssuedKey createKey(List<String> scopes, Instant expiresAt) {
        IssuedKey key = IssuedKey.issue(UUID.randomUUID().toString());
        appendKeyEvent(key.keyId(), 0, new ApiKeyCreatedEvent(key.keyId(), key.developerId(), "replicated",
                key.secretHash(), "lk_test_…abcd", scopes, now(), expiresAt, new RateLimit(100, 60, null)));
        return key;
    }

    private void rotate(IssuedKey from, IssuedKey to, long sequence, Instant rotatedAt, Instant graceEnds) {
        appendKeyEvent(from.keyId(), sequence, new ApiKeyRotatedEvent(from.keyId(), to.secretHash(), "lk_test_…new",
                from.secretHash(), graceEnds, rotatedAt, graceEnds));
    }

    @Test
    void aDevelopersDefaultLimitReachesEveryKeyWithoutItsOwnAndNewKeysToo() {
        String developerId = UUID.randomUUID().toString();
        IssuedKey withoutLimit = IssuedKey.issue(developerId);
        IssuedKey withOwnLimit = IssuedKey.issue(developerId);
        appendKeyEvent(withoutLimit.keyId(), 0, new ApiKeyCreatedEvent(withoutLimit.keyId(), developerId, "a",
                withoutLimit.secretHash(), "lk_test_…abcd", List.of("read"), now(), null, null));
        appendKeyEvent(withOwnLimit.keyId(), 0, new ApiKeyCreatedEvent(withOwnLimit.keyId(), developerId, "b",
                withOwnLimit.secretHash(), "lk_test_…abcd", List.of("read"), now(), null, new RateLimit(7, 1, null)));
        awaitEntry(withoutLimit.secretHash(), 0);
        assertThat(map().read(new KeyHash(withoutLimit.secretHash())).rateLimit()).isNull();

        append("DeveloperAccount", developerId, 1,
                new DeveloperRateLimitChangedEvent(developerId, new RateLimit(50, 60, null), now()));

        KeyHash hash = new KeyHash(withoutLimit.secretHash());
        await().atMost(REPLICATED).until(() -> map().read(hash).limitsVersion() == 1);
        assertThat(map().read(hash).rateLimit()).isEqualTo(new RateLimit(50, 60, null));
        assertThat(map().read(hash).version()).isZero();
        assertThat(map().read(new KeyHash(withOwnLimit.secretHash())).rateLimit()).isEqualTo(new RateLimit(7, 1, null));

        // A key whose own limit is removed falls back on its developer's.
        appendKeyEvent(withOwnLimit.keyId(), 1, new ApiKeyRateLimitChangedEvent(withOwnLimit.keyId(), null, now()));
        assertThat(awaitEntry(withOwnLimit.secretHash(), 1).rateLimit()).isEqualTo(new RateLimit(50, 60, null));

        IssuedKey later = IssuedKey.issue(developerId);
        appendKeyEvent(later.keyId(), 0, new ApiKeyCreatedEvent(later.keyId(), developerId, "c", later.secretHash(),
                "lk_test_…abcd", List.of("read"), now(), null, null));
        assertThat(awaitEntry(later.secretHash(), 0).rateLimit()).isEqualTo(new RateLimit(50, 60, null));

        append("DeveloperAccount", developerId, 2, new DeveloperRateLimitChangedEvent(developerId, null, now()));
        await().atMost(REPLICATED).until(() -> map().read(hash).limitsVersion() == 2);
        assertThat(map().read(hash).rateLimit()).isNull();
    }

    @Test
    void aDefaultChangeWhoseWritesFailHalfWayIsRedoneWhenTheEventIsRetried() {
        String developerId = UUID.randomUUID().toString();
        List<IssuedKey> keys = List.of(IssuedKey.issue(developerId), IssuedKey.issue(developerId));
        // A projection of its own on the real member, whose third put into the entries fails.
        try (ReplicaSnapshot snapshot = freshSnapshot()) {
            ActiveKeyReplicaProjection failingOnce =
                    new ActiveKeyReplicaProjection(failingPut(hazelcast, 3), snapshot);
            for (IssuedKey key : keys) {
                failingOnce.on(new ApiKeyCreatedEvent(key.keyId(), developerId, "default", key.secretHash(),
                        "lk_test_…abcd", List.of("read"), now(), null, null), 0);
            }
            DeveloperRateLimitChangedEvent change =
                    new DeveloperRateLimitChangedEvent(developerId, new RateLimit(100, 60, null), now());

            assertThatThrownBy(() -> failingOnce.on(change, 3)).hasMessageContaining("injected");
            failingOnce.on(change, 3);

            for (IssuedKey key : keys) {
                ActiveKeyEntry entry = map().read(new KeyHash(key.secretHash()));
                assertThat(entry.rateLimit()).as(key.keyId()).isEqualTo(new RateLimit(100, 60, null));
                assertThat(entry.limitsVersion()).isEqualTo(3);
            }
        }
    }

    /** {@code hazelcast}, except that the {@code failing}th put into the entries map throws. */
    @SuppressWarnings("unchecked")
    private static HazelcastInstance failingPut(HazelcastInstance hazelcast, int failing) {
        AtomicInteger puts = new AtomicInteger();
        ReplicatedMap<Object, Object> entries = hazelcast.getReplicatedMap(ReplicaMaps.ACTIVE_KEYS);
        ReplicatedMap<Object, Object> faulty = (ReplicatedMap<Object, Object>) Proxy.newProxyInstance(
                ReplicatedMap.class.getClassLoader(), new Class<?>[] {ReplicatedMap.class}, (proxy, method, args) -> {
                    if (method.getName().equals("put") && puts.incrementAndGet() == failing) {
                        throw new HazelcastException("injected put failure");
                    }
                    return invoke(method, entries, args);
                });
        return (HazelcastInstance) Proxy.newProxyInstance(HazelcastInstance.class.getClassLoader(),
                new Class<?>[] {HazelcastInstance.class}, (proxy, method, args) ->
                        method.getName().equals("getReplicatedMap") && ReplicaMaps.ACTIVE_KEYS.equals(args[0])
                                ? faulty : invoke(method, hazelcast, args));
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** Axon Server stops sending a processor the types it cannot handle, which would stop its position moving. */
    @Test
    void theProjectionTakesEveryEventTypeSoItsPositionFollowsTheLog() throws Exception {
        AnnotationEventHandlerAdapter adapter = new AnnotationEventHandlerAdapter(projection);
        for (Class<?> type : List.of(ApiKeyUsageRecordedEvent.class, DeveloperRegisteredEvent.class, String.class)) {
            assertThat(adapter.canHandleType(type)).as(type.getSimpleName()).isTrue();
        }
        IssuedKey key = createKey(List.of("read"), null);
        ActiveKeyEntry before = awaitEntry(key.secretHash(), 0);

        adapter.handle(GenericEventMessage.asEventMessage(new ApiKeyUsageRecordedEvent(key.keyId(), "edge-a", 1,
                List.of(new UsageCount(now(), "/", "valid", 1)), now(), now())));

        assertThat(map().read(new KeyHash(key.secretHash()))).isEqualTo(before);
    }

    /** A leaked secret rotated out while the writer is stuck must not look replicated to the edges' lag bound. */
    @Test
    void aStalledProjectionPublishesNoCatchUpPastWhatItHasApplied() throws Exception {
        IssuedKey key = createKey(List.of("read"), null);
        awaitEntry(key.secretHash(), 0);
        ReplicatedMap<String, Long> heads = hazelcast.getReplicatedMap(ReplicaMaps.HEADS);
        String writer = hazelcast.getCluster().getLocalMember().getUuid().toString();
        long created = System.currentTimeMillis();
        await().atMost(REPLICATED).until(() -> heads.get(writer) != null && heads.get(writer) > created);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // What a rewrite after a merge does: holds the projection while a handler waits to write.
        Thread stall = new Thread(() -> {
            synchronized (projection) {
                held.countDown();
                awaitQuietly(release);
            }
        });
        stall.start();
        long appended;
        try {
            held.await();
            appended = System.currentTimeMillis();
            rotate(key, key.rotated(), 1, now(), now());
            // Ten of the publisher's ticks.
            Thread.sleep(2_000);
            assertThat(heads.get(writer)).isLessThanOrEqualTo(appended);
        } finally {
            release.countDown();
            stall.join();
        }
        await().atMost(REPLICATED).until(() -> heads.get(writer) > appended);
        assertThat(map().read(new KeyHash(key.secretHash())).version()).isEqualTo(1);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void createdKeyGetsAnEntryVersionedByItsEvent() {
        Instant expiresAt = now().plusSeconds(3600);
        IssuedKey key = createKey(List.of("orders:read", "write"), expiresAt);

        ActiveKeyEntry entry = awaitEntry(key.secretHash(), 0);

        assertThat(entry).isEqualTo(new ActiveKeyEntry(key.keyId(), key.developerId(), List.of("orders:read", "write"),
                expiresAt, null, KeyStatus.ACTIVE, 0, new RateLimit(100, 60, null)));
    }

    @Test
    void aQuotaReachesTheEntryAndStaysThroughLaterChanges() {
        IssuedKey key = createKey(List.of("read"), null);
        appendKeyEvent(key.keyId(), 1, new ApiKeyQuotaChangedEvent(key.keyId(), 10_000L, now()));
        assertThat(awaitEntry(key.secretHash(), 1).monthlyQuota()).isEqualTo(10_000);
        appendKeyEvent(key.keyId(), 2, new ApiKeyScopesChangedEvent(key.keyId(), List.of("write"), now()));
        assertThat(awaitEntry(key.secretHash(), 2).monthlyQuota()).isEqualTo(10_000);
        appendKeyEvent(key.keyId(), 3, new ApiKeyQuotaChangedEvent(key.keyId(), null, now()));
        assertThat(awaitEntry(key.secretHash(), 3).monthlyQuota()).isZero();
    }

    @Test
    void stateChangesRewriteEveryHashOfTheKeyWithTheNewVersion() {
        IssuedKey key = createKey(List.of("read"), null);
        IssuedKey rotated = key.rotated();
        Instant graceEnds = now().plusSeconds(600);
        rotate(key, rotated, 1, now(), graceEnds);
        appendKeyEvent(key.keyId(), 2, new ApiKeyScopesChangedEvent(key.keyId(), List.of("admin"), now()));
        Instant renewedUntil = now().plusSeconds(7200);
        appendKeyEvent(key.keyId(), 3, new ApiKeyRenewedEvent(key.keyId(), renewedUntil, now()));
        appendKeyEvent(key.keyId(), 4, new ApiKeyRateLimitChangedEvent(key.keyId(), new RateLimit(5, 1, 10L), now()));

        ActiveKeyEntry current = awaitEntry(rotated.secretHash(), 4);
        ActiveKeyEntry previous = awaitEntry(key.secretHash(), 4);

        for (ActiveKeyEntry entry : List.of(current, previous)) {
            assertThat(entry.scopes()).containsExactly("admin");
            assertThat(entry.expiresAt()).isEqualTo(renewedUntil);
            assertThat(entry.rateLimit()).isEqualTo(new RateLimit(5, 1, 10L));
            assertThat(entry.status()).isEqualTo(KeyStatus.ACTIVE);
        }
        assertThat(current.secretValidUntil()).isNull();
        assertThat(previous.secretValidUntil()).isEqualTo(graceEnds);
    }

    @Test
    void aSecretStillInAnEarlierGraceWorksUntilTheNextRotationsGraceEndsAtTheLatest() {
        IssuedKey first = createKey(List.of("read"), null);
        IssuedKey second = first.rotated();
        IssuedKey third = first.rotated();
        Instant firstRotation = now().minusSeconds(60);
        Instant secondRotation = now();
        rotate(first, second, 1, firstRotation, firstRotation.plusSeconds(3600));
        assertThat(awaitEntry(first.secretHash(), 1).secretValidUntil()).isEqualTo(firstRotation.plusSeconds(3600));

        rotate(second, third, 2, secondRotation, secondRotation.plusSeconds(300));

        assertThat(awaitEntry(third.secretHash(), 2).secretValidUntil()).isNull();
        assertThat(awaitEntry(second.secretHash(), 2).secretValidUntil()).isEqualTo(secondRotation.plusSeconds(300));
        assertThat(awaitEntry(first.secretHash(), 2).secretValidUntil())
                .as("a secret still in its grace stops when the next rotation's grace ends")
                .isEqualTo(secondRotation.plusSeconds(300));
    }

    @Test
    void rotatedOutSecretWhoseGraceEndedKeepsItsEnd() {
        IssuedKey first = createKey(List.of("read"), null);
        IssuedKey second = first.rotated();
        IssuedKey third = first.rotated();
        Instant graceEnded = now().minusSeconds(30);
        rotate(first, second, 1, now().minusSeconds(60), graceEnded);
        rotate(second, third, 2, now(), now().plusSeconds(60));

        assertThat(awaitEntry(first.secretHash(), 2).secretValidUntil()).isEqualTo(graceEnded);
    }

    @Test
    void aSecretRotatedOutWithNoGraceIsWrittenWithItsEndAndTombstonedWithTheKey() {
        IssuedKey first = createKey(List.of("read"), null);
        IssuedKey second = first.rotated();
        Instant rotatedAt = now();
        rotate(first, second, 1, rotatedAt, rotatedAt);
        assertThat(awaitEntry(first.secretHash(), 1).secretValidUntil()).isEqualTo(rotatedAt);
        appendKeyEvent(first.keyId(), 2, new ApiKeyScopesChangedEvent(first.keyId(), List.of("write"), now()));
        assertThat(awaitEntry(first.secretHash(), 2).secretValidUntil()).as("keeps its end").isEqualTo(rotatedAt);

        appendKeyEvent(first.keyId(), 3, new ApiKeyRevokedEvent(first.keyId(), "rotated and revoked", now()));

        assertThat(awaitEntry(second.secretHash(), 3).status()).isEqualTo(KeyStatus.REVOKED);
        assertThat(awaitEntry(first.secretHash(), 3).status()).as("a revocation covers every secret the key had")
                .isEqualTo(KeyStatus.REVOKED);
    }

    @Test
    void revokedKeyBecomesATombstoneNeverARemove() {
        IssuedKey key = createKey(List.of("read"), null);
        IssuedKey rotated = key.rotated();
        rotate(key, rotated, 1, now(), now().plusSeconds(600));
        awaitEntry(rotated.secretHash(), 1);

        appendKeyEvent(key.keyId(), 2, new ApiKeyRevokedEvent(key.keyId(), "leaked", now()));

        for (IssuedKey secret : List.of(rotated, key)) {
            ActiveKeyEntry tombstone = awaitEntry(secret.secretHash(), 2);
            assertThat(tombstone.status()).isEqualTo(KeyStatus.REVOKED);
            assertThat(tombstone.keyId()).isEqualTo(key.keyId());
        }
    }

    @Test
    void expiredKeyIsMarkedExpiredOnEveryHash() {
        Instant expiresAt = now().minusSeconds(1);
        IssuedKey key = createKey(List.of("read"), now().plusSeconds(60));
        IssuedKey rotated = key.rotated();
        rotate(key, rotated, 1, now(), now().plusSeconds(600));

        appendKeyEvent(key.keyId(), 2, new ApiKeyExpiredEvent(key.keyId(), expiresAt));

        assertThat(awaitEntry(rotated.secretHash(), 2).status()).isEqualTo(KeyStatus.EXPIRED);
        assertThat(awaitEntry(key.secretHash(), 2).status()).isEqualTo(KeyStatus.EXPIRED);
    }

    @Test
    void redeliveredEventChangesNothing() {
        IssuedKey key = createKey(List.of("read"), null);
        appendKeyEvent(key.keyId(), 1, new ApiKeyScopesChangedEvent(key.keyId(), List.of("write"), now()));
        ActiveKeyEntry projected = awaitEntry(key.secretHash(), 1);

        projection.on(new ApiKeyScopesChangedEvent(key.keyId(), List.of("admin"), now()), 1);
        projection.on(new ApiKeyRevokedEvent(key.keyId(), "not really", now()), 1);

        assertThat(map().read(new KeyHash(key.secretHash()))).isEqualTo(projected);
    }

    @Test
    void replayIntoAWarmMapChangesNothing() {
        IssuedKey key = createKey(List.of("read"), null);
        IssuedKey rotated = key.rotated();
        rotate(key, rotated, 1, now(), now().plusSeconds(600));
        appendKeyEvent(key.keyId(), 2, new ApiKeyScopesChangedEvent(key.keyId(), List.of("write"), now()));
        ActiveKeyEntry current = awaitEntry(rotated.secretHash(), 2);
        ActiveKeyEntry previous = awaitEntry(key.secretHash(), 2);

        // A restarted query side: fresh per-key state, the same map, the whole stream again. Midway through (created
        // and rotated replayed, the scope change not yet), the map must still hold the newer entries.
        try (ReplicaSnapshot nothingSaved = freshSnapshot()) {
            ActiveKeyReplicaProjection restarted = new ActiveKeyReplicaProjection(hazelcast, nothingSaved);
            List<? extends DomainEventMessage<?>> stream = eventStore.readEvents(key.keyId(), 0).asStream().toList();
            stream.subList(0, 2).forEach(event -> replay(restarted, event));
            assertThat(map().read(new KeyHash(rotated.secretHash()))).isEqualTo(current);
            assertThat(map().read(new KeyHash(key.secretHash()))).isEqualTo(previous);

            stream.subList(2, stream.size()).forEach(event -> replay(restarted, event));
            assertThat(map().read(new KeyHash(rotated.secretHash()))).isEqualTo(current);
            assertThat(map().read(new KeyHash(key.secretHash()))).isEqualTo(previous);
        }
    }

    private static void replay(ActiveKeyReplicaProjection projection, DomainEventMessage<?> event) {
        long sequence = event.getSequenceNumber();
        Object payload = event.getPayload();
        if (payload instanceof ApiKeyCreatedEvent created) {
            projection.on(created, sequence);
        } else if (payload instanceof ApiKeyRotatedEvent rotated) {
            projection.on(rotated, sequence);
        } else if (payload instanceof ApiKeyScopesChangedEvent scoped) {
            projection.on(scoped, sequence);
        } else {
            throw new IllegalArgumentException("unexpected " + event.getPayloadType());
        }
    }

    /**
     * The production path: the command side appends in its own process and says so on the replica cluster's topic,
     * which wakes the query side's event store (or, were the signal lost, its next poll of the store would).
     */
    @Test
    void revocationAppendedByAnotherProcessReachesTheReplicaPromptly() {
        // Every test appends as the command side does, from outside the query side's event store, which therefore
        // finds the events when signalled: this one times that path.
        IssuedKey key = createKey(List.of("read"), null);
        long appended = System.nanoTime();
        appendKeyEvent(key.keyId(), 1, new ApiKeyRevokedEvent(key.keyId(), "remote", now()));
        awaitEntry(key.secretHash(), 1);
        Duration latency = Duration.ofNanos(System.nanoTime() - appended);

        // A measurement, not an assertion: timing on a shared 2-core machine proves nothing.
        System.out.printf("query-side: revocation from another process tombstoned in the replica in %d ms%n",
                latency.toMillis());
    }

    @Test
    void aFreshMemberSeesTombstonesAndTurnsReady() {
        IssuedKey key = createKey(List.of("read"), null);
        appendKeyEvent(key.keyId(), 1, new ApiKeyRevokedEvent(key.keyId(), "gone", now()));
        awaitEntry(key.secretHash(), 1);
        // The size published for readers counts the tombstone: a member ready by it must hold it.
        await().atMost(REPLICATED).until(() -> {
            Object published = hazelcast.getMap(ReplicaMaps.META).get("published.size");
            return published instanceof Long size && size >= hazelcast.getReplicatedMap(ReplicaMaps.ACTIVE_KEYS).size();
        });

        HazelcastInstance edge = Hazelcast.newHazelcastInstance(
                new ReplicaCluster(CLUSTER_NAME, "127.0.0.1", HAZELCAST_PORT, List.of("127.0.0.1:" + HAZELCAST_PORT))
                        .memberConfig("query-side-test-edge-" + UUID.randomUUID()));
        try {
            KeyReplica replica = HazelcastKeyReplica.of(edge);
            await().atMost(REPLICATED).until(replica::isReady);

            ActiveKeyEntry tombstone = replica.lookup(new KeyHash(key.secretHash()));
            assertThat(tombstone).as("held as soon as the member is ready").isNotNull();
            assertThat(tombstone.status()).isEqualTo(KeyStatus.REVOKED);
            assertThat(tombstone.version()).isEqualTo(1);
            assertThat(edge.getCluster().getMembers()).hasSize(2);
        } finally {
            edge.shutdown();
        }
    }
}
