package io.latchkey.support.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
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
    void aShortTokenOrTheOperatorsOwnIsRefusedAtStart() {
        assertThatThrownBy(() -> UsageToken.of("short", operator())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> UsageToken.of(" " + OPERATOR, operator()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("must differ from the operator token")
                .hasMessageNotContaining(OPERATOR);
    }
}
