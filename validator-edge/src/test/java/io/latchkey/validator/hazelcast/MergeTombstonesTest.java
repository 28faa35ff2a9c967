package io.latchkey.validator.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.KeyStatus;
import io.latchkey.api.replica.ActiveKeyEntry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rule a member applies to its own lookups while a split-brain merge refills its copy. */
class MergeTombstonesTest {

    private static ActiveKeyEntry entry(KeyStatus status, long version) {
        return new ActiveKeyEntry("k", "d", List.of("read"), null, null, status, version, null);
    }

    private static MergeTombstones holding(Map<String, ActiveKeyEntry> copy) {
        Map<String, byte[]> bytes = new HashMap<>();
        copy.forEach((hex, entry) -> bytes.put(hex, entry.toBytes()));
        MergeTombstones tombstones = new MergeTombstones();
        tombstones.hold(bytes);
        return tombstones;
    }

    @Test
    void revocationSeenBeforeTheMergeWinsOverTheOtherSidesActiveEntry() {
        ActiveKeyEntry revoked = entry(KeyStatus.REVOKED, 3);
        MergeTombstones tombstones = holding(Map.of("aa", revoked));

        assertThat(tombstones.guard("aa", entry(KeyStatus.ACTIVE, 7))).isEqualTo(revoked);
        assertThat(tombstones.guard("aa", null)).isEqualTo(revoked);
    }

    @Test
    void onlyRevokedEntriesAreHeld() {
        MergeTombstones tombstones = holding(Map.of("aa", entry(KeyStatus.ACTIVE, 1), "bb", entry(KeyStatus.EXPIRED, 2),
                "cc", entry(KeyStatus.REVOKED, 3)));

        assertThat(tombstones.size()).isEqualTo(1);
        ActiveKeyEntry refilled = entry(KeyStatus.ACTIVE, 1);
        assertThat(tombstones.guard("aa", refilled)).isSameAs(refilled);
    }

    @Test
    void aNewerTombstoneInTheCopyIsAnsweredAsIs() {
        MergeTombstones tombstones = holding(Map.of("aa", entry(KeyStatus.REVOKED, 3)));
        ActiveKeyEntry newer = entry(KeyStatus.REVOKED, 5);

        assertThat(tombstones.guard("aa", newer)).isSameAs(newer);
    }

    @Test
    void nothingHeldLeavesLookupsUntouched() {
        MergeTombstones tombstones = new MergeTombstones();
        ActiveKeyEntry active = entry(KeyStatus.ACTIVE, 1);

        assertThat(tombstones.guard("aa", active)).isSameAs(active);
        assertThat(tombstones.release(hex -> null)).isTrue();
    }

    @Test
    void tombstonesAreReleasedOnlyOnceTheCopyCarriesThemAgain() {
        MergeTombstones tombstones = holding(Map.of("aa", entry(KeyStatus.REVOKED, 3), "bb", entry(KeyStatus.REVOKED, 4)));
        Map<String, ActiveKeyEntry> copy = new HashMap<>(Map.of("aa", entry(KeyStatus.ACTIVE, 9)));

        assertThat(tombstones.release(copy::get)).as("the copy still holds the other side's entries").isFalse();
        assertThat(tombstones.size()).isEqualTo(2);

        copy.put("aa", entry(KeyStatus.REVOKED, 3));
        assertThat(tombstones.release(copy::get)).isFalse();
        assertThat(tombstones.size()).isEqualTo(1);
        assertThat(tombstones.guard("bb", entry(KeyStatus.ACTIVE, 9)).status()).isEqualTo(KeyStatus.REVOKED);

        copy.put("bb", entry(KeyStatus.REVOKED, 6));
        assertThat(tombstones.release(copy::get)).isTrue();
        ActiveKeyEntry afterwards = entry(KeyStatus.ACTIVE, 1);
        assertThat(tombstones.guard("aa", afterwards)).as("released: lookups read the copy alone").isSameAs(afterwards);
    }
}
