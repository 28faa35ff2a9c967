package io.latchkey.validator.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
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
    void theQueryOfAnOriginalUriIsWhatFollowsTheQuestionMark() {
        assertThat(PresentedKey.queryOf("/orders?api_key=lk_live_x#top")).isEqualTo("api_key=lk_live_x");
        assertThat(PresentedKey.queryOf("/orders?")).isEmpty();
        assertThat(PresentedKey.queryOf("/orders#a?b")).isNull();
        assertThat(PresentedKey.queryOf("/orders")).isNull();
        assertThat(PresentedKey.queryOf(null)).isNull();
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
}
