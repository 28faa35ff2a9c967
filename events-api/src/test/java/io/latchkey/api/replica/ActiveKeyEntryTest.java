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
}
