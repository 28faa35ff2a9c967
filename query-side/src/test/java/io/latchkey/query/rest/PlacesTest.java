package io.latchkey.query.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.latchkey.support.web.ProblemException;
import org.junit.jupiter.api.Test;

class PlacesTest {

    @Test
    void aRequestFindingEveryPlaceTakenIsAnswered429WithRetryAfterUntilOneIsGivenBack() {
        Places places = new Places(1, "too-many-usage-queries", "Too many.");
        places.take();

        assertThatThrownBy(places::take).isInstanceOfSatisfying(ProblemException.class, e -> {
            assertThat(e.problem().getStatus()).isEqualTo(429);
            assertThat(e.problem().getType().toString()).endsWith("/too-many-usage-queries");
            assertThat(e.retryAfterSeconds()).isEqualTo(1);
        });
        places.release();
        places.take();
    }

    @Test
    void zeroPlacesRefuseEveryRequestAndANegativeNumberIsAConfigurationErrorAtStart() {
        assertThatThrownBy(new Places(0, "too-many-waiting", "Too many.")::take)
                .isInstanceOf(ProblemException.class);
        assertThatThrownBy(() -> new Places(-1, "too-many-waiting", "Too many."))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
