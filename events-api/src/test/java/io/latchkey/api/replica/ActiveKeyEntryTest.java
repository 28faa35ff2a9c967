package io.latchkey.api.replica;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ActiveKeyEntryTest {

    private final ActiveKeyEntry active = new ActiveKeyEntry("k1", "d1", List.of("orders:read", "write"),
            Instant.parse("2030-01-01T00:00:00Z"), null, KeyStatus.ACTIVE, 3, new RateLimit(100, 60, 150L));

    @Test
    void binaryFormRoundTripsEveryField() {
        assertThat(ActiveKeyEntry.fromBytes(active.toBytes())).isEqualTo(active);
        ActiveKeyEntry bare = new ActiveKeyEntry("k2", "d2", List.of("read"), null,
                Instant.parse("2026-01-01T00:00:00.123Z"), KeyStatus.REVOKED, 9, null);
        assertThat(ActiveKeyEntry.fromBytes(bare.toBytes())).isEqualTo(bare);
    }

    @Test
    void binaryFormIsCompact() {
        assertThat(active.toBytes().length).isLessThan(100);
    }

    @Test
    void higherVersionWins() {
        ActiveKeyEntry later = active.withState(List.of("admin"), null, KeyStatus.ACTIVE, 4, null);
        assertThat(ActiveKeyEntry.newer(active, later)).isSameAs(later);
        assertThat(ActiveKeyEntry.newer(later, active)).isSameAs(later);
    }

    @Test
    void revokedWinsEvenAgainstAHigherVersion() {
        ActiveKeyEntry tombstone = active.withState(active.scopes(), null, KeyStatus.REVOKED, 2, null);
        ActiveKeyEntry later = active.withState(List.of("admin"), null, KeyStatus.ACTIVE, 7, null);
        assertThat(ActiveKeyEntry.newer(later, tombstone)).isSameAs(tombstone);
        assertThat(ActiveKeyEntry.newer(tombstone, later)).isSameAs(tombstone);
    }

    @Test
    void binaryFormRoundTripsTheLimitsVersion() {
        ActiveKeyEntry withDefault = new ActiveKeyEntry("k3", "d3", List.of("read"), null, null, KeyStatus.ACTIVE, 2,
                new RateLimit(10, 1, null), 5);
        assertThat(ActiveKeyEntry.fromBytes(withDefault.toBytes())).isEqualTo(withDefault);
    }

    @Test
    void binaryFormRoundTripsTheMonthlyQuota() {
        ActiveKeyEntry withQuota = new ActiveKeyEntry("k4", "d4", List.of("read"), null, null, KeyStatus.ACTIVE, 2,
                null, 0, 1_000_000);
        assertThat(ActiveKeyEntry.fromBytes(withQuota.toBytes())).isEqualTo(withQuota);
        assertThat(withQuota.withState(List.of("write"), null, KeyStatus.ACTIVE, 3, null).monthlyQuota())
                .isEqualTo(1_000_000);
    }

    @Test
    void formatOneEntriesAreStillReadWithNoDeveloperDefault() {
        byte[] formatThree = active.toBytes();
        // Format 1 is format 3 without the trailing limitsVersion and monthlyQuota.
        byte[] formatOne = java.util.Arrays.copyOf(formatThree, formatThree.length - 2 * Long.BYTES);
        formatOne[0] = 1;
        assertThat(formatThree[0]).isEqualTo((byte) 3);
        assertThat(ActiveKeyEntry.fromBytes(formatOne)).isEqualTo(active);
        assertThat(ActiveKeyEntry.fromBytes(formatOne).limitsVersion()).isZero();
    }

    @Test
    void formatTwoEntriesAreStillReadWithoutAQuota() {
        ActiveKeyEntry withDefault = new ActiveKeyEntry("k3", "d3", List.of("read"), null, null, KeyStatus.ACTIVE, 2,
                new RateLimit(10, 1, null), 5);
        byte[] formatThree = withDefault.toBytes();
        byte[] formatTwo = java.util.Arrays.copyOf(formatThree, formatThree.length - Long.BYTES);
        formatTwo[0] = 2;
        assertThat(ActiveKeyEntry.fromBytes(formatTwo)).isEqualTo(withDefault);
        assertThat(ActiveKeyEntry.fromBytes(formatTwo).monthlyQuota()).isZero();
    }

    @Test
    void atTheSameVersionTheHigherLimitsVersionWins() {
        ActiveKeyEntry newDefault = new ActiveKeyEntry("k1", "d1", active.scopes(), active.expiresAt(), null,
                KeyStatus.ACTIVE, 3, new RateLimit(5, 1, null), 8);
        assertThat(ActiveKeyEntry.newer(active, newDefault)).isSameAs(newDefault);
        assertThat(ActiveKeyEntry.newer(newDefault, active)).isSameAs(newDefault);
        ActiveKeyEntry laterKeyEvent = active.withState(active.scopes(), null, KeyStatus.ACTIVE, 4, null);
        assertThat(ActiveKeyEntry.newer(newDefault, laterKeyEvent)).isSameAs(laterKeyEvent);
    }

    @Test
    void aTombstoneWinsOverANewerDeveloperDefault() {
        ActiveKeyEntry tombstone = active.withState(active.scopes(), null, KeyStatus.REVOKED, 3, null);
        ActiveKeyEntry newDefault = new ActiveKeyEntry("k1", "d1", active.scopes(), null, null, KeyStatus.ACTIVE, 3,
                new RateLimit(5, 1, null), 9);
        assertThat(ActiveKeyEntry.newer(tombstone, newDefault)).isSameAs(tombstone);
    }
}
