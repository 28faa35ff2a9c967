package io.latchkey.support.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.secret.KeyFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialScreenTest {

    private static final String OPERATOR = "operator-token-0123456789";
    private static final String USAGE = "usage-token-0123456789";

    @TempDir
    Path dataDir;

    private CredentialScreen screen(String usage) {
        OperatorToken operator = OperatorToken.resolve(OPERATOR, dataDir, false);
        return CredentialScreen.of(operator, UsageToken.of(usage, operator));
    }

    @Test
    void eitherTokenIsFoundWhereverItStandsInTheText() {
        CredentialScreen screen = screen(USAGE);
        for (String text : new String[] {OPERATOR, "pasted " + OPERATOR, "(" + USAGE + ")", "x" + USAGE + "y",
                "rotated: Bearer " + OPERATOR + " by mistake"}) {
            assertThat(screen.appearsIn(text)).as(text).isTrue();
        }
    }

    @Test
    void anApiKeyOrTheGeneratedTokensPrefixIsFoundToo() {
        CredentialScreen screen = screen(null);
        assertThat(screen.appearsIn("leaked " + KeyFormat.forEnvironment("live").generate())).isTrue();
        assertThat(screen.appearsIn("token lkop_0123")).isTrue();
    }

    @Test
    void aGeneratedTokensRandomPartIsFoundWithoutItsPrefix() {
        OperatorToken operator = OperatorToken.resolve(null, dataDir, true);
        UsageToken usage = UsageToken.resolve(null, operator, dataDir, true);
        CredentialScreen screen = CredentialScreen.of(operator, usage);
        for (GeneratedToken token : new GeneratedToken[] {
                new GeneratedToken(new String(operator.bytes(), StandardCharsets.UTF_8), OperatorToken.PREFIX),
                new GeneratedToken(new String(usage.bytes(), StandardCharsets.UTF_8), UsageToken.PREFIX)}) {
            assertThat(token.value()).startsWith(token.prefix());
            String random = token.value().substring(token.prefix().length());
            assertThat(screen.appearsIn("reason: " + random)).as(random).isTrue();
            assertThat(screen.appearsIn(random.toUpperCase(Locale.ROOT))).as("in upper case").isTrue();
            assertThat(screen.appearsIn(random.substring(1))).as("a part of it").isFalse();
        }
    }

    private record GeneratedToken(String value, String prefix) {
    }

    @Test
    void ordinaryTextAndPartsOfATokenPass() {
        CredentialScreen screen = screen(USAGE);
        for (String text : new String[] {"ci", "rotated after the audit", OPERATOR.substring(0, OPERATOR.length() - 1),
                USAGE.substring(1), "", "operator-token"}) {
            assertThat(screen.appearsIn(text)).as(text).isFalse();
        }
        assertThat(screen.appearsIn(null)).isFalse();
    }

    @Test
    void withoutAUsageTokenOnlyTheOperatorsIsScreened() {
        CredentialScreen screen = screen(null);
        assertThat(screen.appearsIn(OPERATOR)).isTrue();
        assertThat(screen.appearsIn(USAGE)).isFalse();
    }

    @Test
    void aKeysSecretWithoutItsPrefixIsFoundButDigestsAndWordsPass() {
        String key = KeyFormat.forEnvironment("live").generate();
        String secret = key.substring(key.lastIndexOf('_') + 1);
        assertThat(KeyFormat.holdsBareSecret("leaked " + secret)).isTrue();
        assertThat(KeyFormat.holdsBareSecret(secret.substring(0, 43))).as("the 256 bits alone").isTrue();
        assertThat(KeyFormat.holdsBareSecret("a " + secret.substring(0, 42) + " b")).isFalse();
        assertThat(KeyFormat.holdsBareSecret("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"))
                .as("a hex digest").isFalse();
        assertThat(KeyFormat.holdsBareSecret("A".repeat(50) + " " + "b".repeat(50))).isFalse();
        assertThat(KeyFormat.holdsBareSecret(null)).isFalse();
    }
}
