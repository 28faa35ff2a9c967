package io.latchkey.query.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.latchkey.support.web.ProblemException;
import org.junit.jupiter.api.Test;

class PlacesTest {

    @Test
    void aRequestFindingEveryPlaceTakenIsAnswered429WithRetryAfterUntilOneIsGivenBack() {
        Places places = new Places(1, "too-many-usage-queries", "Too many.");
        places.take(null);

        assertThatThrownBy(() -> places.take(null)).isInstanceOfSatisfying(ProblemException.class, e -> {
            assertThat(e.problem().getStatus()).isEqualTo(429);
            assertThat(e.problem().getType().toString()).endsWith("/too-many-usage-queries");
            assertThat(e.retryAfterSeconds()).isEqualTo(1);
        });
        places.release(null);
        places.take(null);
    }

    @Test
    void noDeveloperHoldsMoreThanHalfThePlacesSoAnotherStillGetsOneAndTheOperatorTheRest() {
        Places places = new Places(4, "too-many-usage-queries", "Too many.");
        places.take("developer-a");
        places.take("developer-a");

        assertThatThrownBy(() -> places.take("developer-a")).isInstanceOfSatisfying(ProblemException.class, e ->
                assertThat(e.problem().getStatus()).isEqualTo(429));
        places.take("developer-b");
        places.take(null);
        assertThatThrownBy(() -> places.take("developer-c")).as("every place taken")
                .isInstanceOf(ProblemException.class);
        // C's refused request kept nothing of C's share; A holds one again after giving one back.
        places.release("developer-a");
        places.take("developer-c");
        places.release("developer-b");
        places.take("developer-a");
        assertThatThrownBy(() -> places.take("developer-a")).isInstanceOf(ProblemException.class);
    }

    @Test
    void aSinglePlaceIsEveryonesShare() {
        Places places = new Places(1, "too-many-waiting", "Too many.");
        places.take("developer-a");
        assertThatThrownBy(() -> places.take("developer-b")).isInstanceOf(ProblemException.class);
        places.release("developer-a");
        places.take("developer-b");
    }

    @Test
    void zeroPlacesRefuseEveryRequestAndANegativeNumberIsAConfigurationErrorAtStart() {
        assertThatThrownBy(() -> new Places(0, "too-many-waiting", "Too many.").take(null))
                .isInstanceOf(ProblemException.class);
        assertThatThrownBy(() -> new Places(0, "too-many-waiting", "Too many.").take("developer-a"))
                .isInstanceOf(ProblemException.class);
        assertThatThrownBy(() -> new Places(-1, "too-many-waiting", "Too many."))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
