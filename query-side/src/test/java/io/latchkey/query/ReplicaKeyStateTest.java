package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The replica projection's per-key fold, as a plain object. */
class ReplicaKeyStateTest {

    private static final String KEY = "5d1f7d2e-8a0b-4c39-9e51-0f6a1b2c3d4e";
    private static final String DEVELOPER = "0b8e2a34-1c5d-4e6f-8a9b-7c6d5e4f3a2b";
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private static final String H0 = "0".repeat(64);
    private static final String H1 = "1".repeat(64);
    private static final String H2 = "2".repeat(64);
    private static final String H3 = "3".repeat(64);

    private static ReplicaKeyState created() {
        return ReplicaKeyState.created(new ApiKeyCreatedEvent(KEY, DEVELOPER, "k", H0, "lk_test_…0000",
                List.of("read"), T0, T0.plusSeconds(86_400), new RateLimit(10, 1, null)), 0);
    }

    private static ReplicaKeyState rotate(ReplicaKeyState state, String from, String to, Instant at, Instant graceEnds,
                                          long sequence) {
        return state.rotated(new ApiKeyRotatedEvent(KEY, to, "lk_test_…", from, graceEnds, at, graceEnds), sequence);
    }

    /** As the command side wrote rotations before they carried the earlier secrets' end (upcast to the rotation). */
    private static ReplicaKeyState rotateAsBefore(ReplicaKeyState state, String from, String to, Instant at,
                                                  Instant graceEnds, long sequence) {
        return state.rotated(new ApiKeyRotatedEvent(KEY, to, "lk_test_…", from, graceEnds, at, at), sequence);
    }

    private static Instant validUntil(Map<KeyHash, ActiveKeyEntry> entries, String hash) {
        return entries.get(new KeyHash(hash)).secretValidUntil();
    }

    @Test
    void createdKeyHasOneLiveEntry() {
        assertThat(created().entries(KEY, null, 0)).containsExactly(Map.entry(new KeyHash(H0), new ActiveKeyEntry(KEY,
                DEVELOPER, List.of("read"), T0.plusSeconds(86_400), null, KeyStatus.ACTIVE, 0,
                new RateLimit(10, 1, null))));
    }

    /** The query side holds a state for every key ever created: what keys share is held once. */
    @Test
    void keysOfOneDeveloperShareOneCopyOfItsIdAndOfTheirScopeNames() {
        ReplicaKeyState first = created(copy(DEVELOPER), List.of(copy("read")));
        ReplicaKeyState second = created(copy(DEVELOPER), List.of(copy("write")))
                .withScopes(List.of(copy("read"), copy("write")), 1);

        assertThat(second.developerId()).isEqualTo(DEVELOPER).isSameAs(first.developerId());
        assertThat(second.scopes()).containsExactly("read", "write");
        assertThat(second.scopes().get(0)).isSameAs(first.scopes().get(0));
    }

    private static ReplicaKeyState created(String developerId, List<String> scopes) {
        return ReplicaKeyState.created(new ApiKeyCreatedEvent(KEY, developerId, "k", H0, "lk_test_…0000", scopes, T0,
                null, null), 0);
    }

    /** A string as a decoded event holds it: an instance of its own. */
    private static String copy(String text) {
        return new String(text.toCharArray());
    }

    /**
     * A rotation's grace ends with the key as it stood; events stored before 2026-12-05 kept the grace's own end, and
     * a renewal made the rotated-out secret work again past what the rotation had answered.
     */
    @Test
    void aRenewalNeverRevivesASecretRotatedOutPastTheExpiryItHadThen() {
        Instant expiry = T0.plusSeconds(86_400);
        ReplicaKeyState state = rotate(created(), H0, H1, T0.plusSeconds(10), expiry.plusSeconds(3600), 1)
                .renewed(expiry.plusSeconds(86_400), 2);
        state = rotate(state, H1, H2, T0.plusSeconds(20), T0.plusSeconds(100), 3);

        Map<KeyHash, ActiveKeyEntry> entries = state.entries(KEY, null, 0);
        assertThat(validUntil(entries, H0)).isEqualTo(T0.plusSeconds(100));
        assertThat(validUntil(entries, H1)).isEqualTo(T0.plusSeconds(100));
        assertThat(rotate(created(), H0, H1, T0.plusSeconds(10), expiry.plusSeconds(3600), 1)
                .renewed(expiry.plusSeconds(86_400), 2).entries(KEY, null, 0).get(new KeyHash(H0)).secretValidUntil())
                .isEqualTo(expiry);
        KeyView view = KeyView.created(new ApiKeyCreatedEvent(KEY, DEVELOPER, "k", H0, "lk_test_…0000",
                List.of("read"), T0, expiry, null), 0)
                .rotated(new ApiKeyRotatedEvent(KEY, H1, "lk_test_…", H0, expiry.plusSeconds(3600), T0.plusSeconds(10),
                        expiry.plusSeconds(3600)), 1)
                .renewed(expiry.plusSeconds(86_400), T0.plusSeconds(30), 2);
        assertThat(view.previousKeyEnds()).isEqualTo(expiry);
    }

    /**
     * A renewal that brings the expiry before the old secret's grace end ends that secret with the key; a renewal
     * after it (here to never expiring, the key having expired in between) must not give the old secret back the
     * rest of its grace, which the expiry took from it.
     */
    @Test
    void aSecretRotatedOutKeepsTheSoonestExpiryItHasSeenThroughLaterRenewals() {
        Instant graceEnds = T0.plusSeconds(3_600);
        Instant shortened = T0.plusSeconds(60);
        ReplicaKeyState state = rotate(created(), H0, H1, T0.plusSeconds(10), graceEnds, 1)
                .renewed(shortened, 2).expired(3).renewed(null, 4);

        assertThat(validUntil(state.entries(KEY, null, 0), H0)).isEqualTo(shortened);
        KeyView view = KeyView.created(new ApiKeyCreatedEvent(KEY, DEVELOPER, "k", H0, "lk_test_…0000",
                List.of("read"), T0, T0.plusSeconds(86_400), null), 0)
                .rotated(new ApiKeyRotatedEvent(KEY, H1, "lk_test_…", H0, graceEnds, T0.plusSeconds(10), graceEnds), 1)
                .renewed(shortened, T0.plusSeconds(20), 2).expired(shortened, 3).renewed(null, T0.plusSeconds(90), 4);
        assertThat(view.previousKeyEnds()).isEqualTo(shortened);
    }

    @Test
    void aRotationCutsEarlierSecretsToItsOwnGraceAndNeverLengthensThem() {
        ReplicaKeyState state = rotate(created(), H0, H1, T0.plusSeconds(10), T0.plusSeconds(1000), 1);
        state = rotate(state, H1, H2, T0.plusSeconds(20), T0.plusSeconds(2000), 2);

        Map<KeyHash, ActiveKeyEntry> entries = state.entries(KEY, null, 0);
        assertThat(validUntil(entries, H0)).as("its own grace, shorter").isEqualTo(T0.plusSeconds(1000));
        assertThat(validUntil(entries, H1)).isEqualTo(T0.plusSeconds(2000));

        state = rotate(state, H2, H3, T0.plusSeconds(30), T0.plusSeconds(30), 3);
        entries = state.entries(KEY, null, 0);
        assertThat(validUntil(entries, H0)).as("a rotation without grace ends them all").isEqualTo(T0.plusSeconds(30));
        assertThat(validUntil(entries, H1)).isEqualTo(T0.plusSeconds(30));
        assertThat(validUntil(entries, H2)).isEqualTo(T0.plusSeconds(30));
        assertThat(validUntil(entries, H3)).isNull();
    }

    @Test
    void aRotationStoredBeforeItCarriedTheEarlierSecretsEndStillEndsThemAtOnce() {
        ReplicaKeyState state = rotateAsBefore(created(), H0, H1, T0.plusSeconds(10), T0.plusSeconds(1000), 1);
        state = rotateAsBefore(state, H1, H2, T0.plusSeconds(20), T0.plusSeconds(2000), 2);
        state = rotateAsBefore(state, H2, H3, T0.plusSeconds(3000), T0.plusSeconds(4000), 3);

        Map<KeyHash, ActiveKeyEntry> entries = state.entries(KEY, null, 0);

        assertThat(entries).hasSize(4);
        assertThat(entries.values()).allSatisfy(entry -> assertThat(entry.version()).isEqualTo(3));
        assertThat(validUntil(entries, H3)).isNull();
        assertThat(validUntil(entries, H2)).isEqualTo(T0.plusSeconds(4000));
        assertThat(validUntil(entries, H1)).as("cut short by the third rotation").isEqualTo(T0.plusSeconds(2000));
        assertThat(validUntil(entries, H0)).as("cut short by the second rotation").isEqualTo(T0.plusSeconds(20));
    }

    @Test
    void revocationTombstonesEveryHashTheKeyEverHad() {
        ReplicaKeyState state = rotate(created(), H0, H1, T0.plusSeconds(10), T0.plusSeconds(1000), 1).revoked(2);

        assertThat(state.entries(KEY, null, 0).values()).hasSize(2).allSatisfy(entry -> {
            assertThat(entry.status()).isEqualTo(KeyStatus.REVOKED);
            assertThat(entry.version()).isEqualTo(2);
        });
    }

    @Test
    void expiryNeverUndoesARevocationAndRenewalRevivesOnlyAnExpiredKey() {
        assertThat(created().revoked(1).expired(2).status()).isEqualTo(KeyStatus.REVOKED);
        assertThat(created().revoked(1).renewed(T0.plusSeconds(99_999), 2).status()).isEqualTo(KeyStatus.REVOKED);
        assertThat(created().expired(1).renewed(T0.plusSeconds(99_999), 2).status()).isEqualTo(KeyStatus.ACTIVE);
    }
}
