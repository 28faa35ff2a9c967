package io.latchkey.validator.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SettingsTest {

    @Test
    void aValueThatCannotWorkIsRefusedNamingItsSetting() {
        assertThat(Settings.atLeast("latchkey.a", 1, 1)).isEqualTo(1);
        assertThatThrownBy(() -> Settings.atLeast("latchkey.a", 0, 1))
                .hasMessage("latchkey.a must be at least 1, got 0");
        assertThat(Settings.within("latchkey.b", 65_535, 0, 65_535)).isEqualTo(65_535);
        assertThatThrownBy(() -> Settings.within("latchkey.b", 70_000, 0, 65_535))
                .hasMessage("latchkey.b must be at most 65535, got 70000");
        assertThatThrownBy(() -> Settings.within("latchkey.b", -1, 0, 65_535))
                .hasMessage("latchkey.b must be at least 0, got -1");
        assertThat(Settings.positive("latchkey.c", Duration.ofMillis(1))).isEqualTo(Duration.ofMillis(1));
        assertThatThrownBy(() -> Settings.positive("latchkey.c", Duration.ZERO))
                .hasMessage("latchkey.c must be positive, got PT0S");
        assertThatThrownBy(() -> Settings.positive("latchkey.c", Duration.ofSeconds(-5)))
                .hasMessage("latchkey.c must be positive, got PT-5S");
        assertThatThrownBy(() -> Settings.positive("latchkey.c", null))
                .hasMessage("latchkey.c must be positive, got nothing");
    }
}
