package io.latchkey.support.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.support.hazelcast.LoopbackMembers;
import io.latchkey.support.security.DeveloperKeyAuthenticator.Verdict;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.hazelcast.HazelcastKeyReplica;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Management authentication with a developer's key, on two real Hazelcast members in a cluster of their own: a
 * writer standing in for the query side, and the service's member whose own copy is read.
 */
class DeveloperKeyAuthenticatorTest {

    private static final KeyFormat KEYS = KeyFormat.forEnvironment("live");
    private static final KeyHasher HASHER = KeyHasher.sha256();
    private static final String DEVELOPER = "0b6a4f1e-0000-4000-8000-000000000001";

    private static HazelcastInstance writerMember;
    private static HazelcastInstance serviceMember;
    private static ReplicaWriter writer;
    /** The authenticator's own replica, whose cached confirmation the tests wait on. */
    private static HazelcastKeyReplica replica;
    private static DeveloperKeyAuthenticator authenticator;
    /** The keys' streams as the event store would tell them: a key not in here has only its first event. */
    private static final Map<String, Long> STREAMS = new ConcurrentHashMap<>();

    @BeforeAll
    static void startMembers() {
        List<HazelcastInstance> members = LoopbackMembers.start("auth-test", "writer", "service");
        writerMember = members.get(0);
        serviceMember = members.get(1);
        writer = ReplicaWriter.of(writerMember);
        replica = HazelcastKeyReplica.of(serviceMember);
        authenticator = over(STREAMS::get);
    }

    @AfterAll
    static void stopMembers() {
        serviceMember.shutdown();
        writerMember.shutdown();
    }

    @BeforeEach
    void writerIsCaughtUp() {
        writer.publishCaughtUp(Instant.now());
    }

    /** Issues a key with {@code scopes} and {@code status} and waits until the service member's copy holds it. */
    private static String issue(String keyId, List<String> scopes, KeyStatus status, Instant expiresAt)
            throws InterruptedException {
        String key = KEYS.generate();
        STREAMS.putIfAbsent(keyId, 0L);
        writer.write(HASHER.hash(key), new ActiveKeyEntry(keyId, DEVELOPER, scopes, expiresAt, null, status, 0, null));
        for (int i = 0; i < 500 && replica.lookup(HASHER.hash(key)) == null; i++) {
            Thread.sleep(10);
        }
        // A revoked or expired key that never arrived would pass as an unknown one: the entry must be there.
        assertThat(replica.lookup(HASHER.hash(key))).as("the entry replicated").isNotNull();
        Instant caughtUp = Instant.now();
        writer.publishCaughtUp(caughtUp);
        // Ready (complete) and current (the confirmation replicated here) are separate: wait for both, on the
        // authenticator's own replica, which caches its newest confirmation for 10 ms (a test after the lagging one
        // could otherwise read that test's old confirmation from the cache).
        for (int i = 0; i < 500 && (!replica.isReady() || replica.asOf() == null
                || replica.asOf().isBefore(caughtUp.truncatedTo(ChronoUnit.MILLIS))); i++) {
            Thread.sleep(10);
        }
        assertThat(replica.isReady()).as("the replica ready").isTrue();
        return key;
    }

    /**
     * Authenticates {@code key} while its stream already holds {@code changed} (the command side has answered the
     * change) and the replica receives it 200 ms later, as the projection would write it.
     */
    private static Verdict authenticateBeforeChangeArrives(String key, ActiveKeyEntry changed) {
        STREAMS.put(changed.keyId(), changed.version());
        ScheduledExecutorService projection = Executors.newSingleThreadScheduledExecutor();
        try {
            projection.schedule(() -> writer.write(HASHER.hash(key), changed), 200, TimeUnit.MILLISECONDS);
            return authenticator.authenticate(key).verdict();
        } finally {
            projection.shutdownNow();
        }
    }

    /** Over a validator of the replica's, bounded to 2 s of lag, as a service's is. */
    private static DeveloperKeyAuthenticator over(KeyVersions versions) {
        return DeveloperKeyAuthenticator.over(KeyValidator.builder().replica(replica).hasher(HASHER)
                .clock(Clock.systemUTC()).maxLag(Duration.ofSeconds(2)).build(), versions);
    }

    @Test
    void anAdminKeyAuthenticatesAsItsDeveloperWithTheKeyAsActor() throws Exception {
        String key = issue("key-admin", List.of("admin"), KeyStatus.ACTIVE, null);

        DeveloperKeyAuthenticator.Outcome outcome = authenticator.authenticate(key);

        assertThat(outcome.verdict()).isEqualTo(Verdict.AUTHENTICATED);
        assertThat(outcome.caller()).isEqualTo(Caller.developer(DEVELOPER, "key-admin"));
        assertThat(outcome.caller().actor()).isEqualTo("developer:" + DEVELOPER + "/key:key-admin");
        assertThat(outcome.caller().isOperator()).isFalse();
        assertThat(outcome.caller().mayAccess(DEVELOPER)).isTrue();
        assertThat(outcome.caller().mayAccess(UUID.randomUUID().toString())).isFalse();
        assertThat(outcome.caller().toString()).doesNotContain(key);
    }

    /**
     * Rotation's grace period keeps the old secret working for traffic, not for management: an admin secret that
     * leaked must not rotate the key again, cutting its owner's new secret short and taking the key over.
     */
    @Test
    void aSecretReplacedByRotationIsRefusedForManagementDuringItsGracePeriod() throws Exception {
        String old = KEYS.generate();
        writer.write(HASHER.hash(old), new ActiveKeyEntry("key-rotated", DEVELOPER, List.of("admin"), null,
                Instant.now().plusSeconds(3_600), KeyStatus.ACTIVE, 1, null));
        String current = issue("key-rotated", List.of("admin"), KeyStatus.ACTIVE, null);
        assertThat(replica.lookup(HASHER.hash(old))).as("the old secret's entry has arrived").isNotNull();

        assertThat(authenticator.authenticate(old).verdict()).isEqualTo(Verdict.UNAUTHENTICATED);
        assertThat(authenticator.authenticate(current).verdict()).isEqualTo(Verdict.AUTHENTICATED);
    }

    /** As an unknown secret: a replaced one tells nothing of the key's scopes, and asks the store nothing. */
    @Test
    void aSecretReplacedByRotationOfAKeyWithoutAdminIsUnauthenticatedNotForbidden() throws Exception {
        String old = KEYS.generate();
        writer.write(HASHER.hash(old), new ActiveKeyEntry("key-rotated-read", DEVELOPER, List.of("read"), null,
                Instant.now().plusSeconds(3_600), KeyStatus.ACTIVE, 1, null));
        issue("key-rotated-read", List.of("read"), KeyStatus.ACTIVE, null);
        assertThat(replica.lookup(HASHER.hash(old))).as("the old secret's entry has arrived").isNotNull();
        DeveloperKeyAuthenticator storeDown = over(keyId -> {
                    throw new IllegalStateException("the store is not asked");
                });

        assertThat(storeDown.authenticate(old).verdict()).isEqualTo(Verdict.UNAUTHENTICATED);
    }

    @Test
    void aKeyWithoutAdminIsForbidden() throws Exception {
        String key = issue("key-write", List.of("write", "orders:admin"), KeyStatus.ACTIVE, null);

        assertThat(authenticator.authenticate(key).verdict()).isEqualTo(Verdict.FORBIDDEN);
    }

    @Test
    void unknownRevokedExpiredAndMalformedKeysAreAllUnauthenticated() throws Exception {
        String revoked = issue("key-revoked", List.of("admin"), KeyStatus.REVOKED, null);
        String expired = issue("key-expired", List.of("admin"), KeyStatus.ACTIVE, Instant.now().minusSeconds(1));

        for (String presented : List.of(KEYS.generate(), revoked, expired, "lk_live_typo", "")) {
            DeveloperKeyAuthenticator.Outcome outcome = authenticator.authenticate(presented);
            assertThat(outcome.verdict()).as(presented).isEqualTo(Verdict.UNAUTHENTICATED);
            assertThat(outcome.caller()).isNull();
        }
    }

    @Test
    void aValidKeyIsRefusedAsUnavailableOnceTheReplicaFallsBehindButAMalformedOneStaysUnauthenticated()
            throws Exception {
        String key = issue("key-admin-2", List.of("admin"), KeyStatus.ACTIVE, null);
        assertThat(authenticator.authenticate(key).verdict()).isEqualTo(Verdict.AUTHENTICATED);

        writer.publishCaughtUp(Instant.now().minusSeconds(60));
        // The replica caches its newest confirmation for 10 ms, and the writer's heads replicate asynchronously.
        Verdict verdict = null;
        for (int i = 0; i < 300 && verdict != Verdict.UNAVAILABLE; i++) {
            Thread.sleep(10);
            verdict = authenticator.authenticate(key).verdict();
        }
        assertThat(verdict).isEqualTo(Verdict.UNAVAILABLE);
        assertThat(authenticator.authenticate("not-a-key").verdict()).isEqualTo(Verdict.UNAUTHENTICATED);
    }

    /**
     * The moment after a rotation was answered, its event is in the store while the replica may still hold the key
     * as it was: the old secret must not act again in that moment, as a leaked one would rotate the key once more.
     */
    @Test
    void aSecretIsDecidedOnlyOnceTheReplicaShowsTheKeysNewestChange() throws Exception {
        String old = issue("key-racing-rotation", List.of("admin"), KeyStatus.ACTIVE, null);

        assertThat(authenticateBeforeChangeArrives(old, new ActiveKeyEntry("key-racing-rotation", DEVELOPER,
                List.of("admin"), null, Instant.now(), KeyStatus.ACTIVE, 1, null))).isEqualTo(Verdict.UNAUTHENTICATED);
    }

    @Test
    void anAdminScopeJustRemovedIsForbiddenThoughTheReplicaStillShowedIt() throws Exception {
        String key = issue("key-racing-demotion", List.of("admin"), KeyStatus.ACTIVE, null);

        assertThat(authenticateBeforeChangeArrives(key, new ActiveKeyEntry("key-racing-demotion", DEVELOPER,
                List.of("read"), null, null, KeyStatus.ACTIVE, 1, null))).isEqualTo(Verdict.FORBIDDEN);
    }

    @Test
    void anAdminScopeJustGivenIsTakenOnceTheReplicaShowsItNotRefused() throws Exception {
        String key = issue("key-racing-promotion", List.of("read"), KeyStatus.ACTIVE, null);

        assertThat(authenticateBeforeChangeArrives(key, new ActiveKeyEntry("key-racing-promotion", DEVELOPER,
                List.of("admin"), null, null, KeyStatus.ACTIVE, 1, null))).isEqualTo(Verdict.AUTHENTICATED);
    }

    /** Nothing newer can admit a revoked key or an unknown secret: the store is not asked about them. */
    @Test
    void aRevokedKeyOrAnUnknownSecretIsRefusedWithoutAskingTheStore() throws Exception {
        String revoked = issue("key-revoked-final", List.of("admin"), KeyStatus.REVOKED, null);
        AtomicInteger asked = new AtomicInteger();
        DeveloperKeyAuthenticator counting = over(keyId -> {
                    asked.incrementAndGet();
                    return 5;
                });

        assertThat(counting.authenticate(revoked).verdict()).isEqualTo(Verdict.UNAUTHENTICATED);
        assertThat(counting.authenticate(KEYS.generate()).verdict()).isEqualTo(Verdict.UNAUTHENTICATED);
        assertThat(asked).hasValue(0);
    }

    @Test
    void aKeyWhoseChangeNeverReachesTheReplicaIsUnavailableNotDecidedOnWhatItWas() throws Exception {
        String key = issue("key-stuck", List.of("admin"), KeyStatus.ACTIVE, null);
        STREAMS.put("key-stuck", 3L);

        assertThat(authenticator.authenticate(key).verdict()).isEqualTo(Verdict.UNAVAILABLE);
    }

    @Test
    void aStoreThatCannotBeReadLeavesAKeyUnavailable() throws Exception {
        String key = issue("key-store-down", List.of("admin"), KeyStatus.ACTIVE, null);
        DeveloperKeyAuthenticator storeDown = over(keyId -> {
                    throw new IllegalStateException("store unreachable");
                });

        assertThat(storeDown.authenticate(key).verdict()).isEqualTo(Verdict.UNAVAILABLE);
        assertThat(authenticator.authenticate(key).verdict()).isEqualTo(Verdict.AUTHENTICATED);
    }
}
