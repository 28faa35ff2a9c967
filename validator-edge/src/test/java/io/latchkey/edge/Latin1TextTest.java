package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.validator.servlet.PresentedKey;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class Latin1TextTest {

    private final Latin1Text text = new Latin1Text();

    private static long word(String eight) {
        long word = 0;
        for (int i = 7; i >= 0; i--) {
            word = word << 8 | eight.charAt(i);
        }
        return word;
    }

    @Test
    void eightHexDigitsAreTheirValueAndAnyOtherByteAnywhereIsRefused() {
        Random random = new Random(7);
        for (int n = 0; n < 10_000; n++) {
            String digits = String.format("%08x", random.nextInt());
            assertThat(Latin1Text.hex8(word(digits))).isEqualTo(Long.parseLong(digits, 16));
        }
        for (int at = 0; at < 8; at++) {
            for (int b = 0; b < 256; b++) {
                boolean hex = b >= '0' && b <= '9' || b >= 'a' && b <= 'f';
                long word = word("0123abcd") & ~(0xffL << 8 * at) | (long) b << 8 * at;
                assertThat(Latin1Text.hex8(word) >= 0).as("byte %02x at %d", b, at).isEqualTo(hex);
            }
        }
    }

    @Test
    void aCanonicalUuidIsReadAsItsBits() {
        for (int n = 0; n < 10_000; n++) {
            UUID id = UUID.randomUUID();
            text.readKey(id.toString());
            assertThat(text.isUuid()).isTrue();
            assertThat(new UUID(text.uuidHigh(), text.uuidLow())).isEqualTo(id);
        }
    }

    @Test
    void whatIsNotACanonicalUuidIsNotReadAsOne() {
        String canonical = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
        List<String> others = new ArrayList<>(List.of(canonical.toUpperCase(), canonical.substring(1),
                canonical + "0", "7d3f8a2e0-b1c-4d5e-8f90-123456789abc", canonical.replace('-', '_'),
                canonical.replace('a', '\u00e1'), canonical.replace('a', '\u0661'), canonical.replace('-', '\u012d')));
        for (int at = 0; at < canonical.length(); at++) {
            others.add(canonical.substring(0, at) + 'g' + canonical.substring(at + 1));
            others.add(canonical.substring(0, at) + '\u0130' + canonical.substring(at + 1));
        }
        for (String other : others) {
            text.readKey(other);
            assertThat(text.isUuid()).as(other).isFalse();
        }
        text.readKey(null);
        assertThat(text.isUuid()).isFalse();
    }

    @Test
    void thePathEndsAtTheFirstQueryOrFragmentMarkAndHashesAloneWhateverFollowsIt() {
        Random random = new Random(11);
        String alphabet = "/abcxyz019-._~%\u00e9\u0080\u00ff";
        for (int n = 0; n < 20_000; n++) {
            StringBuilder path = new StringBuilder("/");
            int length = random.nextInt(40);
            for (int i = 0; i < length; i++) {
                path.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            int alone = hashOf(path.toString());
            for (String rest : List.of("?", "#", "?page=2", "#top?x", "?a#b" + "q".repeat(random.nextInt(20)))) {
                String uri = path + rest;
                assertThat(hashOf(uri)).as(uri).isEqualTo(alone);
                assertThat(text.path()).isEqualTo(path.toString().getBytes(StandardCharsets.ISO_8859_1));
                assertThat(text.pathEnd()).isEqualTo(PresentedKey.pathEnd(uri)).isEqualTo(path.length());
            }
        }
    }

    @Test
    void pathsThatDifferHashApartAndAreToldApartByTheirBytes() {
        List<String> paths = List.of("/orders/items", "/orders/itemz", "/orders/items/", "/Orders/items",
                "/orders/", "/orders/items/12345678", "/orders/items/12345679", "/");
        List<Integer> hashes = new ArrayList<>();
        for (String path : paths) {
            hashes.add(hashOf(path));
            byte[] bytes = text.path();
            assertThat(text.pathIs(bytes)).isTrue();
            hashOf(path.equals("/") ? "/a" : path.substring(0, path.length() - 1));
            assertThat(text.pathIs(bytes)).isFalse();
        }
        assertThat(hashes).doesNotHaveDuplicates();
        hashOf("");
        assertThat(text.pathEnd()).isZero();
    }

    @Test
    void aPathTooLongOrWithACharacterPastLatin1IsNotReadAndAQueryDoesNotMatter() {
        assertThat(text.readPath("/" + "a".repeat(Latin1Text.CAPACITY - 1))).isTrue();
        assertThat(text.readPath("/" + "a".repeat(Latin1Text.CAPACITY))).isFalse();
        assertThat(text.readPath("/" + "a".repeat(Latin1Text.CAPACITY) + "?q")).isFalse();
        assertThat(text.readPath("/orders?q=" + "a".repeat(2 * Latin1Text.CAPACITY))).isTrue();
        assertThat(text.pathEnd()).isEqualTo("/orders".length());
        // The low byte of U+013F is '?': read by low bytes alone, the path would end there.
        assertThat(text.readPath("/orders\u013fx")).isFalse();
        assertThat(text.readPath("/orders?\u013f")).isTrue();
        assertThat(text.readPath("/caf\u00e9")).isTrue();
    }

    @Test
    void nothingPastThePathIsKept() throws Exception {
        String secret = "lk_live_0123456789abcdef";
        text.readPath("/v1/files/report/download?api_key=" + secret);
        Field field = Latin1Text.class.getDeclaredField("bytes");
        field.setAccessible(true);
        String held = new String((byte[]) field.get(text), StandardCharsets.ISO_8859_1);

        assertThat(held.substring(held.indexOf('/'))).startsWith("/v1/files/report/download\0")
                .doesNotContain(secret).doesNotContain("api_key");
    }

    private int hashOf(String uri) {
        assertThat(text.readPath(uri)).as(uri).isTrue();
        return text.pathHash();
    }
}
