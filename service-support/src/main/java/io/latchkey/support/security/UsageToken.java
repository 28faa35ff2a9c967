package io.latchkey.support.security;

import java.nio.charset.StandardCharsets;

/**
 * The credential edges call the other services with ({@code latchkey.usage.token}), when one is set apart from the
 * operator token. It authenticates the edges' two calls, {@code POST /v1/usage} (reports, on the command side) and
 * {@code POST /v1/validate} (the fallback, on the query side), and nothing else, so that an edge, the most exposed
 * tier, holds no HTTP credential with power over keys, developers or their histories. (As a member of the replica
 * cluster an edge can still write the replicated map: that cluster's network must be private, see
 * docs/architecture.md.)
 */
public final class UsageToken {

    /** The path of usage reports. */
    public static final String PATH = "/v1/usage";
    /** The path of the edges' fallback. */
    public static final String VALIDATE_PATH = "/v1/validate";

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
