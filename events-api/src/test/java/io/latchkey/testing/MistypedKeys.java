package io.latchkey.testing;

/** Keys one character off, as a user mistypes them: what a checksum must catch. */
public final class MistypedKeys {

    private MistypedKeys() {
    }

    /**
     * {@code key} with its last character replaced by another one. Always another: a fixed replacement would give back
     * the key itself whenever the key already ends in it (one key in 62), and the test would see it valid.
     */
    public static String lastCharacterChanged(String key) {
        char last = key.charAt(key.length() - 1);
        return key.substring(0, key.length() - 1) + (last == 'x' ? 'y' : 'x');
    }
}
