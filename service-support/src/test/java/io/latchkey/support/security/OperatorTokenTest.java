package io.latchkey.support.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperatorTokenTest {

    @TempDir
    Path dataDir;

    @Test
    void firstStartGeneratesATokenReadableByTheOwnerOnly() throws Exception {
        OperatorToken token = OperatorToken.resolve(null, dataDir, true);
        assertThat(token.generated()).isTrue();
        Path file = dataDir.resolve(OperatorToken.FILE_NAME);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(token.matches(Files.readString(file).strip())).isTrue();
        assertThat(token.reveal()).startsWith("lkop_").hasSize(5 + 64);
    }

    @Test
    void laterStartsReuseTheStoredToken() {
        OperatorToken first = OperatorToken.resolve("", dataDir, true);
        OperatorToken second = OperatorToken.resolve("", dataDir, true);
        assertThat(second.generated()).isFalse();
        assertThat(second.matches(first.reveal())).isTrue();
    }

    @Test
    void servicesStartingTogetherAgreeOnOneToken() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<OperatorToken>> tokens = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                tokens.add(pool.submit((Callable<OperatorToken>) () -> OperatorToken.resolve(null, dataDir, true)));
            }
            String stored = Files.readString(dataDir.resolve(OperatorToken.FILE_NAME)).strip();
            int generated = 0;
            for (Future<OperatorToken> token : tokens) {
                assertThat(token.get().matches(stored)).isTrue();
                generated += token.get().generated() ? 1 : 0;
            }
            assertThat(generated).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        try (var files = Files.list(dataDir)) {
            assertThat(files).containsExactly(dataDir.resolve(OperatorToken.FILE_NAME));
        }
    }

    @Test
    void aConfiguredTokenWinsAndIsNeverWritten() {
        OperatorToken token = OperatorToken.resolve("configured-operator-token", dataDir, true);
        assertThat(token.matches("configured-operator-token")).isTrue();
        assertThat(token.matches("configured-operator-tokeN")).isFalse();
        assertThat(token.matches(null)).isFalse();
        assertThat(dataDir.resolve(OperatorToken.FILE_NAME)).doesNotExist();
    }

    @Test
    void anEmptyOrShortTokenFileStopsStartUpInsteadOfAcceptingAnEmptyBearer() throws Exception {
        Path file = dataDir.resolve(OperatorToken.FILE_NAME);
        Files.writeString(file, "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> OperatorToken.resolve(null, dataDir, true))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("at least 16");
        Files.writeString(file, "short");
        assertThatThrownBy(() -> OperatorToken.resolve(null, dataDir, true)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aTokenFileOthersCanReadIsRefused() throws Exception {
        Path file = dataDir.resolve(OperatorToken.FILE_NAME);
        Files.writeString(file, "a-long-enough-operator-token\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> OperatorToken.resolve(null, dataDir, true))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("owner only");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
        assertThat(OperatorToken.resolve(null, dataDir, true).matches("a-long-enough-operator-token")).isTrue();
    }

    @Test
    void shortTokensAreRefused() {
        assertThatThrownBy(() -> OperatorToken.resolve("short", dataDir, true)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> OperatorToken.resolve(" ".repeat(15) + "a", dataDir, true))
                .as("blanks around a one-character token").isInstanceOf(IllegalStateException.class);
    }

    @Test
    void withoutGenerationAMissingTokenStopsStartUp() {
        assertThatThrownBy(() -> OperatorToken.resolve(null, dataDir, false))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("LATCHKEY_OPERATOR_TOKEN");
    }

    @Test
    void theTokenNeverShowsInToString() {
        assertThat(OperatorToken.resolve("configured-operator-token", dataDir, true).toString())
                .doesNotContain("configured");
    }
}
