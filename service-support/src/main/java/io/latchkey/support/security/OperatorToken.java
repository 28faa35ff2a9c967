package io.latchkey.support.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * The operator credential. Taken from {@code LATCHKEY_OPERATOR_TOKEN} when set; otherwise, where generation is
 * allowed (embedded mode), read from {@code <data dir>/operator-token}, creating that file owner-readable only on
 * first start. Services sharing a data directory share the token: the file is created with an atomic link, so two
 * services starting together agree on one token.
 */
public final class OperatorToken {

    public static final String FILE_NAME = "operator-token";
    /** What every generated token begins with. */
    public static final String PREFIX = "lkop_";
    /** The shortest token taken, the usage token's too. */
    static final int MIN_LENGTH = 16;
    private static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

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
            if (Files.exists(file)) {
                return read(file);
            }
            if (!mayGenerate) {
                throw new IllegalStateException("LATCHKEY_OPERATOR_TOKEN is not set and " + file + " does not exist");
            }
            return create(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the operator token at " + file, e);
        }
    }

    private static OperatorToken create(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = PREFIX + HexFormat.of().formatHex(random);
        Path temp = Files.createTempFile(file.getParent(), ".operator-token", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(temp, token + "\n");
            Files.createLink(file, temp);
            return new OperatorToken(token, true, file);
        } catch (FileAlreadyExistsException raced) {
            return read(file);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** A token file must be private and long enough: an empty one would make an empty bearer the operator. */
    private static OperatorToken read(Path file) throws IOException {
        if (Files.getFileAttributeView(file, PosixFileAttributeView.class) != null) {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(permissions)) {
                throw new IllegalStateException(file + " must be readable by its owner only (chmod 600)");
            }
        }
        String token = Files.readString(file).strip();
        if (token.length() < MIN_LENGTH) {
            throw new IllegalStateException(file + " must hold a token of at least " + MIN_LENGTH + " characters");
        }
        return new OperatorToken(token, false, file);
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
