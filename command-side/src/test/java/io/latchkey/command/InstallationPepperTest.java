package io.latchkey.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.latchkey.api.secret.KeyHasher;
import java.nio.file.Path;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The installation's pepper on the embedded store, served over TCP. */
class InstallationPepperTest {

    private static final KeyHasher FIRST = KeyHasher.forPepper("first-pepper-0123456789");
    private static final KeyHasher OTHER = KeyHasher.forPepper("other-pepper-0123456789");

    @TempDir
    Path dataDir;

    private static long recorded(ServedTemplate store) {
        return store.mongo().findById("pepper", Document.class, InstallationPepper.COLLECTION).getLong("fingerprint");
    }

    @Test
    void theFirstStartRecordsThePepperAndLaterStartsWithItGoOn() {
        try (ServedTemplate store = ServedTemplate.start(dataDir)) {
            new InstallationPepper(store.mongo(), FIRST, false);
            assertThat(recorded(store)).isEqualTo(FIRST.fingerprint());
            new InstallationPepper(store.mongo(), FIRST, false);
            assertThat(recorded(store)).isEqualTo(FIRST.fingerprint());
        }
    }

    @Test
    void aStartWithAnotherPepperIsRefusedAndChangesNothing() {
        try (ServedTemplate store = ServedTemplate.start(dataDir)) {
            new InstallationPepper(store.mongo(), FIRST, false);

            for (KeyHasher other : new KeyHasher[] {OTHER, KeyHasher.forPepper("")}) {
                assertThatThrownBy(() -> new InstallationPepper(store.mongo(), other, false))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("not the one recorded at this installation's first start")
                        .hasMessageContaining("LATCHKEY_ACCEPT_NEW_PEPPER=true")
                        .hasMessageNotContaining("first-pepper");
            }
            assertThat(recorded(store)).isEqualTo(FIRST.fingerprint());
        }
    }

    @Test
    void anotherPepperAcceptedOnceBecomesTheInstallationsAndTheOldOneIsThenRefused() {
        try (ServedTemplate store = ServedTemplate.start(dataDir)) {
            new InstallationPepper(store.mongo(), FIRST, false);

            new InstallationPepper(store.mongo(), OTHER, true);

            assertThat(recorded(store)).isEqualTo(OTHER.fingerprint());
            new InstallationPepper(store.mongo(), OTHER, false);
            assertThatThrownBy(() -> new InstallationPepper(store.mongo(), FIRST, false))
                    .isInstanceOf(IllegalStateException.class);
        }
    }
}
