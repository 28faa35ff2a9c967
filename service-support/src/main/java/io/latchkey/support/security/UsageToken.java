package io.latchkey.support.security;

import java.nio.charset.StandardCharsets;

/**
 * The credential edges report usage with ({@code latchkey.usage.token}), when one is set apart from the operator
 * token. It authenticates {@code POST /v1/usage} and nothing else, so that an edge, the most exposed tier, holds no
 * HTTP credential with power over keys, developers or their histories. (As a member of the replica cluster an edge can
 * still write the replicated map: that cluster's network must be private, see docs/architecture.md.)
 */
public final class UsageToken {

    /** The path it authenticates. */
    public static final String PATH = "/v1/usage";

    private final byte[] value;

    private UsageToken(String value) {
        this.value = value.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The configured token, or null when none is: edges then report with the operator token. It must differ from the
     * operator's, which it exists to keep off the edges.
     */
    public static UsageToken of(String configured, OperatorToken operator) {
        if (configured == null || configured.isBlank()) {
            return null;
        }
        String token = configured.strip();
        if (token.length() < OperatorToken.MIN_LENGTH) {
            throw new IllegalStateException("latchkey.usage.token must be at least " + OperatorToken.MIN_LENGTH
                    + " characters");
        }
        if (operator.matches(token)) {
            throw new IllegalStateException("latchkey.usage.token must differ from the operator token");
        }
        return new UsageToken(token);
    }

    byte[] bytes() {
        return value;
    }

    /** Constant-time, like the operator token's. */
    public boolean matches(String presented) {
        return OperatorToken.matches(value, presented);
    }
}
