package io.latchkey.validator.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.KeyStatus;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The rule a member applies to its own lookups while a split-brain merge refills its copy. */
class MergeTombstonesTest {

    private static final KeyHash AA = new KeyHash("a".repeat(64));
    private static final KeyHash BB = new KeyHash("b".repeat(64));
    private static final KeyHash CC = new KeyHash("c".repeat(64));

    private static ActiveKeyEntry entry(KeyStatus status, long version) {
        return new ActiveKeyEntry("k", "d", List.of("read"), null, null, status, version, null);
    }

    private static MergeTombstones holding(Map<KeyHash, ActiveKeyEntry> copy) {
        Map<KeyHash, byte[]> bytes = new HashMap<>();
        copy.forEach((hex, entry) -> bytes.put(hex, entry.toBytes()));
        MergeTombstones tombstones = new MergeTombstones();
        tombstones.hold(bytes);
        return tombstones;
    }

    @Test
    void revocationSeenBeforeTheMergeWinsOverTheOtherSidesActiveEntry() {
        ActiveKeyEntry revoked = entry(KeyStatus.REVOKED, 3);
        MergeTombstones tombstones = holding(Map.of(AA, revoked));

        assertThat(tombstones.guard(AA, entry(KeyStatus.ACTIVE, 7))).isEqualTo(revoked);
        assertThat(tombstones.guard(AA, null)).isEqualTo(revoked);
    }

    @Test
    void onlyRevokedEntriesAreHeld() {
        MergeTombstones tombstones = holding(Map.of(AA, entry(KeyStatus.ACTIVE, 1), BB, entry(KeyStatus.EXPIRED, 2),
                CC, entry(KeyStatus.REVOKED, 3)));

        assertThat(tombstones.size()).isEqualTo(1);
        ActiveKeyEntry refilled = entry(KeyStatus.ACTIVE, 1);
        assertThat(tombstones.guard(AA, refilled)).isSameAs(refilled);
    }

    @Test
    void aNewerTombstoneInTheCopyIsAnsweredAsIs() {
        MergeTombstones tombstones = holding(Map.of(AA, entry(KeyStatus.REVOKED, 3)));
        ActiveKeyEntry newer = entry(KeyStatus.REVOKED, 5);

        assertThat(tombstones.guard(AA, newer)).isSameAs(newer);
    }

    @Test
    void nothingHeldLeavesLookupsUntouched() {
        MergeTombstones tombstones = new MergeTombstones();
        ActiveKeyEntry active = entry(KeyStatus.ACTIVE, 1);

        assertThat(tombstones.guard(AA, active)).isSameAs(active);
        assertThat(tombstones.release(hex -> null, 0, 0)).isTrue();
    }

    @Test
    void aTombstoneIsReleasedOnlyAfterTheCopyHasCarriedItAgainForTheSettlingTimeWithoutABreak() {
        MergeTombstones tombstones = holding(Map.of(AA, entry(KeyStatus.REVOKED, 3), BB, entry(KeyStatus.REVOKED, 4)));
        Map<KeyHash, ActiveKeyEntry> copy = new HashMap<>(Map.of(AA, entry(KeyStatus.ACTIVE, 9)));
        long settle = TimeUnit.MILLISECONDS.toNanos(MergeTombstones.SETTLE_MILLIS);

        assertThat(tombstones.release(copy::get, 1_000, 1)).as("the copy still holds the other side's entries")
                .isFalse();
        copy.put(AA, entry(KeyStatus.REVOKED, 3));
        assertThat(tombstones.release(copy::get, 2_000, 1)).isFalse();
        copy.put(AA, entry(KeyStatus.ACTIVE, 9));
        assertThat(tombstones.release(copy::get, 3_000, 1)).as("a late sync of the other side's data").isFalse();
        assertThat(tombstones.guard(AA, entry(KeyStatus.ACTIVE, 9)).status()).isEqualTo(KeyStatus.REVOKED);
        copy.put(AA, entry(KeyStatus.REVOKED, 3));
        copy.put(BB, entry(KeyStatus.REVOKED, 6));
        assertThat(tombstones.release(copy::get, 4_000, 1)).isFalse();
        assertThat(tombstones.release(copy::get, 2_000 + settle, 1)).as("carried since the revert, not before").isFalse();
        assertThat(tombstones.size()).isEqualTo(2);

        assertThat(tombstones.release(copy::get, 4_000 + settle, 1)).isTrue();
        ActiveKeyEntry afterwards = entry(KeyStatus.ACTIVE, 1);
        assertThat(tombstones.guard(AA, afterwards)).as("released: lookups read the copy alone").isSameAs(afterwards);
    }

    @Test
    void aReleaserOfAnEarlierMergeReleasesNothingOfALaterOne() {
        Map<KeyHash, byte[]> copy = Map.of(AA, entry(KeyStatus.REVOKED, 3).toBytes());
        MergeTombstones tombstones = new MergeTombstones();
        tombstones.hold(copy);
        long first = tombstones.merge();
        tombstones.hold(copy);
        long settle = TimeUnit.MILLISECONDS.toNanos(MergeTombstones.SETTLE_MILLIS);

        assertThat(tombstones.release(hash -> entry(KeyStatus.REVOKED, 3), 1_000, first)).isTrue();
        assertThat(tombstones.release(hash -> entry(KeyStatus.REVOKED, 3), 1_000 + settle, first)).isTrue();
        assertThat(tombstones.size()).as("held for the later merge").isEqualTo(1);

        assertThat(tombstones.release(hash -> entry(KeyStatus.REVOKED, 3), 1_000, tombstones.merge())).isFalse();
        assertThat(tombstones.release(hash -> entry(KeyStatus.REVOKED, 3), 1_000 + settle, tombstones.merge()))
                .as("released by the later merge's own releaser").isTrue();
    }
}
