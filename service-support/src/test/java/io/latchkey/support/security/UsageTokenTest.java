package io.latchkey.support.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageTokenTest {

    private static final String OPERATOR = "operator-token-0123456789";

    @TempDir
    Path dataDir;

    private OperatorToken operator() {
        return OperatorToken.resolve(OPERATOR, dataDir, false);
    }

    @Test
    void noUsageTokenMeansEdgesReportWithTheOperators() {
        assertThat(UsageToken.of(null, operator())).isNull();
        assertThat(UsageToken.of("  ", operator())).isNull();
    }

    @Test
    void theUsageTokenMatchesItselfOnly() {
        UsageToken usage = UsageToken.of(" usage-token-0123456789 ", operator());
        assertThat(usage.matches("usage-token-0123456789")).isTrue();
        assertThat(usage.matches(OPERATOR)).isFalse();
        assertThat(usage.matches(null)).isFalse();
    }

    @Test
    void embeddedModesServicesShareOneUsageTokenKeptInTheDataDirectoryOwnerOnly() throws Exception {
        UsageToken made = UsageToken.resolve(null, operator(), dataDir, true);
        Path file = dataDir.resolve(UsageToken.FILE_NAME);
        String kept = Files.readString(file).strip();
        assertThat(kept).startsWith("lkop_usage_").hasSize("lkop_usage_".length() + 64);
        assertThat(made.matches(kept)).isTrue();
        assertThat(Files.getPosixFilePermissions(file)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE);
        assertThat(UsageToken.resolve(" ", operator(), dataDir, true).matches(kept)).as("a second service").isTrue();
        assertThat(UsageToken.resolve("usage-token-0123456789", operator(), dataDir, true).matches(kept))
                .as("a configured token wins").isFalse();
    }

    @Test
    void distributedModeMakesNoUsageTokenFile() {
        assertThat(UsageToken.resolve(null, operator(), dataDir, false)).isNull();
        assertThat(dataDir.resolve(UsageToken.FILE_NAME)).doesNotExist();
    }

    @Test
    void aShortTokenOrTheOperatorsOwnIsRefusedAtStart() {
        assertThatThrownBy(() -> UsageToken.of("short", operator())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> UsageToken.of(" " + OPERATOR, operator()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("must differ from the operator token")
                .hasMessageNotContaining(OPERATOR);
    }
}
