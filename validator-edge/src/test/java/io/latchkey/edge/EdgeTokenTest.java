package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.env.AbstractEnvironment;
import org.springframework.core.env.MapPropertySource;

/** Which credential an edge reports usage and asks the fallback with: the least powerful one it can find. */
class EdgeTokenTest {

    private static final String USAGE_FILE_TOKEN = "lkop_usage_" + "a".repeat(64);
    private static final String OPERATOR_FILE_TOKEN = "lkop_" + "b".repeat(64);

    @TempDir
    Path dataDir;

    private String edgeToken(String... properties) {
        Map<String, Object> map = new HashMap<>(Map.of("latchkey.data-dir", dataDir.toString()));
        for (int i = 0; i < properties.length; i += 2) {
            map.put(properties[i], properties[i + 1]);
        }
        // Neither the process's environment nor its system properties: a shell may have exported a token.
        AbstractEnvironment environment = new AbstractEnvironment() {
        };
        environment.getPropertySources().addFirst(new MapPropertySource("test", map));
        return EdgeConfiguration.edgeToken(environment);
    }

    @Test
    void aConfiguredTokenComesFirstThenTheUsageTokenTheServicesKeepInTheDataDirectory() throws Exception {
        Files.writeString(dataDir.resolve("operator-token"), OPERATOR_FILE_TOKEN + "\n");
        assertThat(edgeToken()).as("a data directory of a release without a usage token")
                .isEqualTo(OPERATOR_FILE_TOKEN);

        Files.writeString(dataDir.resolve("usage-token"), USAGE_FILE_TOKEN + "\n");
        assertThat(edgeToken()).isEqualTo(USAGE_FILE_TOKEN);
        // Never passed over for a file another installation left in the directory.
        assertThat(edgeToken("latchkey.operator-token", "configured-operator-0123"))
                .isEqualTo("configured-operator-0123");
        assertThat(edgeToken("latchkey.usage.token", " configured-usage-0123 ", "latchkey.operator-token",
                "configured-operator-0123")).isEqualTo("configured-usage-0123");
    }

    @Test
    void aConfiguredTokenShorterThanTheServicesTakeStopsTheStartWithoutItsValue() {
        assertThatThrownBy(() -> edgeToken("latchkey.usage.token", "shorttok12"))
                .hasMessageContaining("latchkey.usage.token must be at least 16 characters")
                .message().doesNotContain("shorttok12");
    }
}
