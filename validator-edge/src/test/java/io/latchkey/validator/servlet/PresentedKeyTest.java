package io.latchkey.validator.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.secret.KeyFormat;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PresentedKeyTest {

    @ParameterizedTest
    @ValueSource(strings = {"api_key=lk_live_abc", "k=lk%5Flive_abc", "k=lk%5flive", "k=%6C%6B%5Flive",
            "k=lk%255Flive", "k=lk%25255Flive", "k=LK_LIVE_abc", "a=1&key=lk_test_x", "auth=Bearer%20lk_live_x",
            "next=%2Fcb%3Fapi_key%3Dlk_live_x", "state=%7B%22k%22%3A%22lk_live_x%22%7D", "k=lk_%74est_x",
            "k=%4C%4B%5Flive_x"})
    void aKeyInTheQueryStringIsFoundHoweverItIsEncoded(String query) {
        assertThat(PresentedKey.inQueryString(query)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "page=2", "q=milk", "q=lk-live", "q=l%6B", "q=%5F%5F", "q=%", "sort=bulk_price",
            "q=milk_tea", "q=BULK_LIVE_x", "q=lk_"})
    void otherQueryStringsPass(String query) {
        assertThat(PresentedKey.inQueryString(query)).isFalse();
    }

    @Test
    void aWellFormedKeyInThePathIsFoundHoweverItIsEncodedOrWhateverSurroundsIt() {
        String key = KeyFormat.forEnvironment("live").generate();
        assertThat(PresentedKey.holdsKey("/v1/keys/" + key + "/orders")).isTrue();
        assertThat(PresentedKey.holdsKey("/" + key)).isTrue();
        assertThat(PresentedKey.holdsKey("/files/x" + key + "_backup.zip")).isTrue();
        assertThat(PresentedKey.holdsKey("/orders;token=" + key)).isTrue();
        assertThat(PresentedKey.holdsKey("/v1/keys/" + key.replace("_", "%5F"))).isTrue();
        assertThat(PresentedKey.holdsKey("/v1/keys/%256C" + key.substring(1))).isTrue();
        assertThat(PresentedKey.holdsKey("/lk_/lk_x_/" + key)).as("after prefixes that start no key").isTrue();
        assertThat(PresentedKey.holdsKey("/%" + "25".repeat(5_000) + "6C" + key.substring(1)))
                .as("encoded 5,001 times over").isTrue();
        assertThat(PresentedKey.holdsKey("/%%36C" + key.substring(1).replace("_", "%5F")))
                .as("an escape completed by decoding the one inside it: %36 is 6, so %6C is l").isTrue();
    }

    @Test
    void pathsWithoutAWellFormedKeyPass() {
        String key = KeyFormat.forEnvironment("live").generate();
        String changed = key.substring(0, 20) + (key.charAt(20) == 'a' ? 'b' : 'a') + key.substring(21);
        assertThat(PresentedKey.holdsKey("/v1/keys/" + changed)).as("one character changed").isFalse();
        assertThat(PresentedKey.holdsKey("/v1/keys/" + key.substring(0, key.length() - 1))).isFalse();
        assertThat(PresentedKey.holdsKey("/v1/keys/" + key.toUpperCase(Locale.ROOT))).isFalse();
        assertThat(PresentedKey.holdsKey("/docs/lk_report/bulk_price")).isFalse();
        assertThat(PresentedKey.holdsKey("/lk_")).isFalse();
        assertThat(PresentedKey.holdsKey("/%")).isFalse();
        assertThat(PresentedKey.holdsKey("")).isFalse();
        assertThat(PresentedKey.holdsKey(null)).isFalse();
    }

    @Test
    void textMentionsACredentialWhereAKeyOrATokenBeginsInAnySpelling() {
        String key = KeyFormat.forEnvironment("live").generate();
        assertThat(List.of("target [/v1/keys/x?k=" + key + "| ]", "LK%5Flive%5Fabc", "%256Ck_test_x",
                "token lkop_0123abcd", "[lk_live_x{]", "[/authorize?k=0x9c" + key + "0x9d ]"))
                .allMatch(PresentedKey::mentionsCredential);
        assertThat(List.of("Error parsing HTTP request header", "/v1/keys/%00", "lk-live", ""))
                .noneMatch(PresentedKey::mentionsCredential);
        assertThat(PresentedKey.mentionsCredential(null)).isFalse();
    }

    @Test
    void thePathOfAnOriginalUriIsWhatPrecedesItsQueryAndFragment() {
        assertThat(PresentedKey.pathOf("/orders/7?api_key=x#top")).isEqualTo("/orders/7");
        assertThat(PresentedKey.pathOf("/orders#a?b")).isEqualTo("/orders");
        assertThat(PresentedKey.pathOf("/orders")).isEqualTo("/orders");
        assertThat(PresentedKey.pathOf("?q")).isEmpty();
    }

    @Test
    void whatFollowsAnOriginalUrisPathIsItsQueryAndFragment() {
        assertThat(PresentedKey.afterPathOf("/orders?api_key=lk_live_x#top")).isEqualTo("api_key=lk_live_x#top");
        assertThat(PresentedKey.afterPathOf("/orders?")).isEmpty();
        assertThat(PresentedKey.afterPathOf("/orders#lk_live_x")).isEqualTo("lk_live_x");
        assertThat(PresentedKey.inQueryString(PresentedKey.afterPathOf("/orders/1#lk_live_x"))).isTrue();
        assertThat(PresentedKey.afterPathOf("/orders")).isNull();
        assertThat(PresentedKey.afterPathOf(null)).isNull();
    }

    /** An empty header is no second key, whichever header it is: before, only an empty X-API-Key made it ambiguous. */
    @Test
    void anEmptyHeaderBesideAKeyCarriesNoKeyWhicheverHeaderItIs() {
        assertThat(PresentedKey.from("Bearer lk_a", "")).isEqualTo(new PresentedKey("lk_a", false));
        assertThat(PresentedKey.from("Bearer lk_a", "  ")).isEqualTo(new PresentedKey("lk_a", false));
        assertThat(PresentedKey.from("", "lk_a")).isEqualTo(new PresentedKey("lk_a", false));
        assertThat(PresentedKey.from("Bearer  ", "lk_a")).isEqualTo(new PresentedKey("lk_a", false));
        assertThat(PresentedKey.from("Bearer lk_a", "lk_b").ambiguous()).isTrue();
        assertThat(PresentedKey.from("", "")).isEqualTo(new PresentedKey(null, false));
    }

    /** A proxy joins a header sent twice with a comma, which no key holds: as ambiguous as the two headers. */
    @Test
    void aHeaderJoinedFromTwoIsAmbiguous() {
        assertThat(PresentedKey.from(null, "lk_a, lk_b").ambiguous()).isTrue();
        assertThat(PresentedKey.from("Bearer lk_a, Bearer lk_b", null).ambiguous()).isTrue();
        assertThat(PresentedKey.from("Bearer lk_a", null).ambiguous()).isFalse();
    }

    @Test
    void noQueryStringCarriesNoKey() {
        assertThat(PresentedKey.inQueryString(null)).isFalse();
    }

    @Test
    void bothHeadersAreAmbiguous() {
        assertThat(PresentedKey.from("Bearer lk_live_a", "lk_live_b").ambiguous()).isTrue();
        assertThat(PresentedKey.from("bearer lk_live_a", null).key()).isEqualTo("lk_live_a");
    }

    @Test
    void aHeaderSentTwiceIsAmbiguousAndNeitherValueIsTaken() {
        PresentedKey twice = PresentedKey.fromAll(List.of(), List.of("lk_live_a", "lk_live_b"));
        assertThat(twice.ambiguous()).isTrue();
        assertThat(twice.key()).isNull();
        assertThat(PresentedKey.fromAll(List.of("Bearer lk_live_a", "Bearer lk_live_b"), List.of()).ambiguous())
                .isTrue();
        assertThat(PresentedKey.fromAll(List.of("Bearer lk_live_a"), List.of())).isEqualTo(
                new PresentedKey("lk_live_a", false));
        assertThat(PresentedKey.fromAll(List.of(), List.of())).isEqualTo(new PresentedKey(null, false));
    }

    /** A copy of a header that carries no key is no second key either: before, it made the request ambiguous. */
    @Test
    void anEmptyCopyOfAHeaderCarriesNoKey() {
        assertThat(PresentedKey.fromAll(List.of(), List.of("lk_live_a", ""))).isEqualTo(
                new PresentedKey("lk_live_a", false));
        assertThat(PresentedKey.fromAll(List.of("Bearer ", "Bearer lk_live_a"), List.of())).isEqualTo(
                new PresentedKey("lk_live_a", false));
        assertThat(PresentedKey.fromAll(List.of("", " "), List.of(" ", ""))).isEqualTo(new PresentedKey(null, false));
        assertThat(PresentedKey.fromAll(List.of("Basic eDp5", "Bearer lk_live_a"), List.of()).ambiguous()).isTrue();
        assertThat(PresentedKey.fromAll(List.of("", "Bearer lk_live_a"), List.of("lk_live_b")).ambiguous()).isTrue();
    }
}
