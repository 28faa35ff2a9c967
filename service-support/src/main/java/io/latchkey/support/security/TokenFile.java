package io.latchkey.support.security;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * A token kept in a file of the data directory (embedded mode), owner-readable only. Services sharing a data
 * directory share it: the file is made with an atomic link, so two services starting together agree on one token.
 */
final class TokenFile {

    private static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    /** The token, and whether this process made it just now. */
    record Token(String value, boolean created) {
    }

    private TokenFile() {
    }

    /** Reads the file, or makes it with {@code prefix} and 32 random bytes in hex when there is none. */
    static Token readOrCreate(Path file, String prefix) throws IOException {
        if (Files.exists(file)) {
            return new Token(read(file), false);
        }
        Files.createDirectories(file.getParent());
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = prefix + HexFormat.of().formatHex(random);
        Path temp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(temp, token + "\n");
            Files.createLink(file, temp);
            return new Token(token, true);
        } catch (FileAlreadyExistsException raced) {
            return new Token(read(file), false);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** A token file must be private and long enough: an empty one would make an empty bearer a credential. */
    static String read(Path file) throws IOException {
        if (Files.getFileAttributeView(file, PosixFileAttributeView.class) != null) {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(permissions)) {
                throw new IllegalStateException(file + " must be readable by its owner only (chmod 600)");
            }
        }
        String token = Files.readString(file).strip();
        if (token.length() < OperatorToken.MIN_LENGTH) {
            throw new IllegalStateException(file + " must hold a token of at least " + OperatorToken.MIN_LENGTH
                    + " characters");
        }
        return token;
    }
}
