package io.latchkey.query.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.latchkey.support.web.ProblemException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PlacesTest {

    @Test
    void aRequestFindingEveryPlaceTakenIsAnswered429WithRetryAfter() {
        Places places = new Places(1, Duration.ZERO, "too-many-usage-queries", "Too many.");
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
    void aRequestWaitsForAPlaceGivenBackWithinItsWait() throws Exception {
        Places places = new Places(1, Duration.ofSeconds(10), "too-many-usage-queries", "Too many.");
        places.take();
        CompletableFuture<Void> waiting = CompletableFuture.runAsync(places::take);
        Thread.sleep(100);
        assertThat(waiting).isNotDone();

        places.release();
        waiting.get(5, TimeUnit.SECONDS);
    }
}
