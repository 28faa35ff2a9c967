package io.latchkey.support.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The credential edges call the other services with ({@code latchkey.usage.token}), when one is set apart from the
 * operator token. It authenticates the edges' two calls, {@code POST /v1/usage} (reports, on the command side) and
 * {@code POST /v1/validate} (the fallback, on the query side), and nothing else, so that an edge, the most exposed
 * tier, holds no HTTP credential with power over keys, developers or their histories. (As a member of the replica
 * cluster an edge can still write the replicated map: that cluster's network must be private, see
 * docs/architecture.md.) In embedded mode, where none is configured, the services share one kept in
 * {@code <data dir>/usage-token}, made on first start as the operator token's file is, so that the edges of
 * {@code bin/latchkey}, given no operator token, report with it and their reports are recorded as the edge's.
 */
public final class UsageToken {

    public static final String FILE_NAME = "usage-token";
    /** What a generated usage token begins with: the operator token's prefix, so that every screen for it finds it. */
    static final String PREFIX = OperatorToken.PREFIX + "usage_";

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

    /**
     * The configured token; else, where generation is allowed (embedded mode), the data directory's, made when there
     * is none; else null.
     */
    public static UsageToken resolve(String configured, OperatorToken operator, Path dataDir, boolean mayGenerate) {
        if (configured != null && !configured.isBlank() || !mayGenerate) {
            return of(configured, operator);
        }
        Path file = dataDir.resolve(FILE_NAME);
        try {
            return of(TokenFile.readOrCreate(file, PREFIX).value(), operator);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the usage token at " + file, e);
        }
    }

    byte[] bytes() {
        return value;
    }

    /** Constant-time, like the operator token's. */
    public boolean matches(String presented) {
        return OperatorToken.matches(value, presented);
    }
}
