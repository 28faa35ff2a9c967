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

        ProblemException share = catchProblem(() -> places.take("developer-a"));
        places.take("developer-b");
        places.take(null);
        ProblemException total = catchProblem(() -> places.take("developer-c"));
        // The same answer for a developer's share and for the total: it names no other tenant's requests.
        assertThat(share.problem()).usingRecursiveComparison().isEqualTo(total.problem());
        assertThat(share.retryAfterSeconds()).isEqualTo(total.retryAfterSeconds()).isEqualTo(1);
        // C's refused request kept nothing of C's share: with two places free, C takes both.
        places.release("developer-a");
        places.release("developer-b");
        places.take("developer-c");
        places.take("developer-c");
        assertThatThrownBy(() -> places.take("developer-a")).as("every place taken")
                .isInstanceOf(ProblemException.class);
    }

    @Test
    void workDoneWithinAPlaceGivesItBackHoweverItEnds() {
        Places places = new Places(1, "too-many-usage-queries", "Too many.");
        assertThat(places.within("developer-a", () -> "done")).isEqualTo("done");
        assertThatThrownBy(() -> places.within("developer-a", () -> {
            throw new IllegalStateException("failed");
        })).hasMessage("failed");

        places.take("developer-b");
        assertThatThrownBy(() -> places.within("developer-a", () -> "refused")).as("every place taken")
                .isInstanceOf(ProblemException.class);
    }

    @Test
    void theOperatorMayTakeEveryPlace() {
        Places places = new Places(4, "too-many-usage-queries", "Too many.");
        for (int i = 0; i < 4; i++) {
            places.take(null);
        }
        assertThatThrownBy(() -> places.take(null)).isInstanceOf(ProblemException.class);
    }

    private static ProblemException catchProblem(Runnable request) {
        try {
            request.run();
        } catch (ProblemException refused) {
            return refused;
        }
        throw new AssertionError("not refused");
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
