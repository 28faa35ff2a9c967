package io.latchkey.api.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ActiveKeyEntryTest {

    private static final String KEY_ID = "6f1c2a4e-9b3d-4c8a-a1e2-3f4b5c6d7e8f";
    private static final String DEVELOPER_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

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
    void anEntryWithMoreScopesThanItsFormCanCountIsRefusedNotCutShort() {
        List<String> scopes = IntStream.range(0, 256).mapToObj(i -> "r" + i + ":read").toList();
        ActiveKeyEntry wide = new ActiveKeyEntry(KEY_ID, DEVELOPER_ID, scopes, null, null, KeyStatus.ACTIVE, 1, null);
        assertThatThrownBy(wide::toBytes).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("255");
        ActiveKeyEntry widest = new ActiveKeyEntry(KEY_ID, DEVELOPER_ID, scopes.subList(0, 255), null, null,
                KeyStatus.ACTIVE, 1, null);
        assertThat(ActiveKeyEntry.fromBytes(widest.toBytes())).isEqualTo(widest);
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
        byte[] formatThree = formatThree(active);
        // Format 1 is format 3 without the trailing limitsVersion and monthlyQuota.
        byte[] formatOne = Arrays.copyOf(formatThree, formatThree.length - 2 * Long.BYTES);
        formatOne[0] = 1;
        assertThat(ActiveKeyEntry.fromBytes(formatOne)).isEqualTo(active);
        assertThat(ActiveKeyEntry.fromBytes(formatOne).limitsVersion()).isZero();
    }

    @Test
    void formatTwoEntriesAreStillReadWithoutAQuota() {
        ActiveKeyEntry withDefault = new ActiveKeyEntry("k3", "d3", List.of("read"), null, null, KeyStatus.ACTIVE, 2,
                new RateLimit(10, 1, null), 5);
        byte[] formatThree = formatThree(withDefault);
        byte[] formatTwo = Arrays.copyOf(formatThree, formatThree.length - Long.BYTES);
        formatTwo[0] = 2;
        assertThat(ActiveKeyEntry.fromBytes(formatTwo)).isEqualTo(withDefault);
        assertThat(ActiveKeyEntry.fromBytes(formatTwo).monthlyQuota()).isZero();
    }

    @Test
    void formatThreeEntriesAreStillRead() {
        ActiveKeyEntry withQuota = new ActiveKeyEntry(KEY_ID, DEVELOPER_ID, List.of("read"), null,
                Instant.parse("2026-01-01T00:00:00Z"), KeyStatus.ACTIVE, 2, new RateLimit(10, 1, 20L), 4, 500);
        assertThat(ActiveKeyEntry.fromBytes(formatThree(withQuota))).isEqualTo(withQuota);
    }

    @Test
    void serverIdsTakeSixteenBytesEach() {
        ActiveKeyEntry typical = new ActiveKeyEntry(KEY_ID, DEVELOPER_ID, List.of("read"), null, null,
                KeyStatus.ACTIVE, 1, null);
        byte[] bytes = typical.toBytes();
        assertThat(bytes[0]).isEqualTo((byte) 4);
        // format, flags, status, version (varint), two 16-byte ids, one scope of 4 characters
        assertThat(bytes).hasSize(1 + 1 + 1 + 1 + 16 + 16 + 1 + 1 + 4);
        assertThat(ActiveKeyEntry.fromBytes(bytes)).isEqualTo(typical);
    }

    @Test
    void largeAndNegativeNumbersRoundTrip() {
        ActiveKeyEntry large = new ActiveKeyEntry(KEY_ID, DEVELOPER_ID, List.of("s".repeat(300)),
                Instant.ofEpochMilli(-1), Instant.ofEpochMilli(Long.MAX_VALUE), KeyStatus.ACTIVE, Long.MAX_VALUE,
                new RateLimit(Long.MAX_VALUE - 1, 86_400, Long.MAX_VALUE), -5, Long.MAX_VALUE);
        assertThat(ActiveKeyEntry.fromBytes(large.toBytes())).isEqualTo(large);
    }

    @Test
    void idsThatAreNotCanonicalUuidsKeepTheirExactText() {
        ActiveKeyEntry odd = new ActiveKeyEntry(KEY_ID.toUpperCase(), "dev-ümlaut", List.of("orders:read"), null,
                null, KeyStatus.EXPIRED, 5, null);
        assertThat(ActiveKeyEntry.fromBytes(odd.toBytes())).isEqualTo(odd);
    }

    @Test
    void truncatedOrUnknownEntriesAreRefused() {
        byte[] bytes = active.toBytes();
        assertThatThrownBy(() -> ActiveKeyEntry.fromBytes(Arrays.copyOf(bytes, bytes.length - 1)))
                .isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> ActiveKeyEntry.fromBytes(Arrays.copyOf(bytes, bytes.length + 1)))
                .isInstanceOf(IllegalArgumentException.class);
        byte[] future = bytes.clone();
        future[0] = 9;
        assertThatThrownBy(() -> ActiveKeyEntry.fromBytes(future)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ActiveKeyEntry.fromBytes(new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }

    /** Format 3 as release 0.1 wrote it, with a {@code DataOutputStream}. */
    private static byte[] formatThree(ActiveKeyEntry entry) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(3);
            out.writeLong(entry.version());
            out.writeByte(entry.status().ordinal());
            out.writeUTF(entry.keyId());
            out.writeUTF(entry.developerId());
            out.writeByte(entry.scopes().size());
            for (String scope : entry.scopes()) {
                out.writeUTF(scope);
            }
            out.writeLong(entry.expiresAt() == null ? Long.MIN_VALUE : entry.expiresAt().toEpochMilli());
            out.writeLong(entry.secretValidUntil() == null ? Long.MIN_VALUE : entry.secretValidUntil().toEpochMilli());
            out.writeBoolean(entry.rateLimit() != null);
            if (entry.rateLimit() != null) {
                out.writeLong(entry.rateLimit().limit());
                out.writeLong(entry.rateLimit().periodSeconds());
                out.writeLong(entry.rateLimit().burst() == null ? Long.MIN_VALUE : entry.rateLimit().burst());
            }
            out.writeLong(entry.limitsVersion());
            out.writeLong(entry.monthlyQuota());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
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
