package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A {@code latchkey.store} setting the store cannot take stops the start, naming the setting. */
class StorePropertiesTest {

    @Test
    void aPortOutOfRangeIsRefusedNamingTheSettingAndZeroIsTheDefault() {
        for (int port : new int[] {-1, 65_536}) {
            assertThatThrownBy(() -> new StoreProperties(true, null, port, null, null, null, null)).as("port " + port)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("latchkey.store.port must be");
        }
        assertThat(new StoreProperties(true, null, 0, null, null, null, null).port()).isEqualTo(27117);
        assertThat(new StoreProperties(true, null, 65_535, null, null, null, null).port()).isEqualTo(65_535);
    }
}
