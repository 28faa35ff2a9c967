package io.latchkey.support.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The operator credential. Taken from {@code LATCHKEY_OPERATOR_TOKEN} when set; otherwise, where generation is
 * allowed (embedded mode), read from {@code <data dir>/operator-token}, creating that file owner-readable only on
 * first start ({@link TokenFile}).
 */
public final class OperatorToken {

    public static final String FILE_NAME = "operator-token";
    /** What every generated token begins with. */
    public static final String PREFIX = "lkop_";
    /** The shortest token taken, the usage token's too. */
    static final int MIN_LENGTH = 16;

    private final byte[] value;
    private final boolean generated;
    private final Path file;

    private OperatorToken(String value, boolean generated, Path file) {
        this.value = value.getBytes(StandardCharsets.UTF_8);
        this.generated = generated;
        this.file = file;
    }

    public static OperatorToken resolve(String configured, Path dataDir, boolean mayGenerate) {
        if (configured != null && !configured.isBlank()) {
            // Measured as it will be compared: surrounding blanks are no part of the token.
            String token = configured.strip();
            if (token.length() < MIN_LENGTH) {
                throw new IllegalStateException("LATCHKEY_OPERATOR_TOKEN must be at least " + MIN_LENGTH + " characters");
            }
            return new OperatorToken(token, false, null);
        }
        Path file = dataDir.resolve(FILE_NAME);
        try {
            if (!mayGenerate && !Files.exists(file)) {
                throw new IllegalStateException("LATCHKEY_OPERATOR_TOKEN is not set and " + file + " does not exist");
            }
            TokenFile.Token token = TokenFile.readOrCreate(file, PREFIX);
            return new OperatorToken(token.value(), token.created(), file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the operator token at " + file, e);
        }
    }

    /** Constant-time comparison with a presented credential. */
    public boolean matches(String presented) {
        return matches(value, presented);
    }

    /** Whether {@code presented} is {@code token}'s text, in time that does not depend on where they differ. */
    static boolean matches(byte[] token, String presented) {
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }

    byte[] bytes() {
        return value;
    }

    /** True when this process created the token just now, so it is the one that prints it. */
    public boolean generated() {
        return generated;
    }

    public Path file() {
        return file;
    }

    String reveal() {
        return new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "OperatorToken[redacted]";
    }
}
