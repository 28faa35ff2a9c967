package io.latchkey.api.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class KeyFormatTest {

    private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
    private final KeyFormat live = KeyFormat.forEnvironment("live");

    @RepeatedTest(200)
    void generatedKeysAreWellFormedAndCarryTheEnvironmentPrefix() {
        String key = live.generate();
        assertThat(key).startsWith("lk_live_").hasSize("lk_live_".length() + 49);
        assertThat(KeyFormat.isWellFormed(key)).isTrue();
    }

    @Test
    void generatedKeysDoNotRepeat() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertThat(seen.add(live.generate())).isTrue();
        }
    }

    @Test
    void everySingleCharacterChangeIsRejected() {
        for (int round = 0; round < 20; round++) {
            String key = live.generate();
            for (int position = 0; position < key.length(); position++) {
                for (char replacement : ALPHABET.toCharArray()) {
                    if (replacement == key.charAt(position)) {
                        continue;
                    }
                    String changed = key.substring(0, position) + replacement + key.substring(position + 1);
                    assertThat(KeyFormat.isWellFormed(changed)).as(changed).isFalse();
                }
            }
        }
    }

    @Test
    void truncatedExtendedAndForeignStringsAreRejected() {
        String key = live.generate();
        assertThat(KeyFormat.isWellFormed(key.substring(0, key.length() - 1))).isFalse();
        assertThat(KeyFormat.isWellFormed(key + "0")).isFalse();
        assertThat(KeyFormat.isWellFormed(null)).isFalse();
        assertThat(KeyFormat.isWellFormed("")).isFalse();
        assertThat(KeyFormat.isWellFormed("Bearer " + key)).isFalse();
        assertThat(KeyFormat.isWellFormed("x".repeat(10_000))).isFalse();
        assertThat(KeyFormat.isWellFormed(key.replace("lk_live_", "lk_Live_"))).isFalse();
    }

    @Test
    void environmentsAreDistinguishedByTheChecksum() {
        String key = KeyFormat.forEnvironment("test").generate();
        assertThat(KeyFormat.isWellFormed(key)).isTrue();
        assertThat(KeyFormat.isWellFormed(key.replace("lk_test_", "lk_live_"))).isFalse();
    }

    @Test
    void invalidEnvironmentsAreRefused() {
        assertThatThrownBy(() -> KeyFormat.forEnvironment("Live")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyFormat.forEnvironment("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyFormat.forEnvironment("a".repeat(17))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hintShowsOnlyThePrefixAndLastFourCharacters() {
        String key = live.generate();
        String hint = KeyFormat.hint(key);
        assertThat(hint).isEqualTo("lk_live_…" + key.substring(key.length() - 4));
        assertThat(key).doesNotContain(hint.substring("lk_live_".length()));
    }
}
