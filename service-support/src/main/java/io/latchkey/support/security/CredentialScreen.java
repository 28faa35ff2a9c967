package io.latchkey.support.security;

import io.latchkey.api.secret.KeyFormat;
import io.latchkey.validator.servlet.PresentedKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds credentials in text that would be kept for good (event fields, request ids in event metadata): an API key,
 * anything with the generated operator token's prefix, and the operator and usage tokens themselves wherever they
 * stand in the text. A developer reads its keys' histories, so an operator token pasted into a revocation reason would
 * otherwise reach every admin key of that developer.
 */
public final class CredentialScreen {

    private final byte[][] tokens;

    /** In ASCII lower case, as texts are compared: a token copied in another case is one lower-casing away. */
    private CredentialScreen(byte[][] tokens) {
        this.tokens = Arrays.stream(tokens).map(CredentialScreen::lowerCase).toArray(byte[][]::new);
    }

    private static byte[] lowerCase(byte[] text) {
        byte[] lower = text.clone();
        for (int i = 0; i < lower.length; i++) {
            if (lower[i] >= 'A' && lower[i] <= 'Z') {
                lower[i] += 'a' - 'A';
            }
        }
        return lower;
    }

    /**
     * {@code usage} may be null: no usage token is configured. A generated token is screened also without its prefix:
     * its random part alone (64 hex digits, which {@link KeyFormat#holdsBareSecret} lets pass as a digest) is the
     * credential.
     */
    public static CredentialScreen of(OperatorToken operator, UsageToken usage) {
        List<byte[]> tokens = new ArrayList<>();
        for (byte[] token : usage == null ? List.of(operator.bytes()) : List.of(operator.bytes(), usage.bytes())) {
            tokens.add(token);
            String text = new String(token, StandardCharsets.UTF_8);
            for (String prefix : List.of(UsageToken.PREFIX, OperatorToken.PREFIX)) {
                if (text.startsWith(prefix) && text.length() - prefix.length() >= OperatorToken.MIN_LENGTH) {
                    tokens.add(text.substring(prefix.length()).getBytes(StandardCharsets.UTF_8));
                    break;
                }
            }
        }
        return new CredentialScreen(tokens.toArray(byte[][]::new));
    }

    /** Whether {@code text} holds a credential ({@link #appearsIn}) or may ({@link KeyFormat#holdsBareSecret}). */
    public boolean holdsAnyCredential(String text) {
        return appearsIn(text) || KeyFormat.holdsBareSecret(text);
    }

    public boolean appearsIn(String text) {
        if (text == null) {
            return false;
        }
        return PresentedKey.holdsKey(text) || text.contains(OperatorToken.PREFIX) || holdsToken(text);
    }

    /**
     * Whether {@code text} holds the operator or usage token, or a generated one's random part, in any case of its
     * ASCII letters.
     */
    public boolean holdsToken(String text) {
        if (text == null) {
            return false;
        }
        byte[] bytes = lowerCase(text.getBytes(StandardCharsets.UTF_8));
        boolean found = false;
        for (byte[] token : tokens) {
            found |= contains(bytes, token);
        }
        return found;
    }

    /** Every window is compared whole, so the time taken tells nothing of how much of a token a text matched. */
    private static boolean contains(byte[] text, byte[] token) {
        boolean found = false;
        for (int start = 0; start + token.length <= text.length; start++) {
            int difference = 0;
            for (int i = 0; i < token.length; i++) {
                difference |= text[start + i] ^ token[i];
            }
            found |= difference == 0;
        }
        return found;
    }
}
