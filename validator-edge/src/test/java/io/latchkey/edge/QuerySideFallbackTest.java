package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.validator.Decision;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against an HTTP server answering as a query side of another release might. */
class QuerySideFallbackTest {

    private CannedQuerySide querySide;
    private QuerySideFallback fallback;

    @BeforeEach
    void start() {
        querySide = new CannedQuerySide("{}");
        fallback = querySide.fallback();
    }

    @AfterEach
    void stop() {
        querySide.close();
    }

    @Test
    void readsTheQuerySidesDecision() {
        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[\"read\"],"
                + "\"expiresAt\":\"2030-01-01T00:00:00Z\"}");

        assertThat(fallback.validate("lk_live_x", "read")).hasValueSatisfying(decision -> {
            assertThat(decision.status()).isEqualTo(Decision.Status.VALID);
            assertThat(decision.scopes()).containsExactly("read");
        });
    }

    @Test
    void anAnswerThisEdgeCannotReadIsNoDecisionNotARefusedScope() {
        querySide.answer("{\"status\":\"SUSPENDED\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[]}");
        assertThat(fallback.validate("lk_live_x", "read")).isEmpty();

        querySide.answer("{\"status\":\"VALID\",\"keyId\":\"k\",\"developerId\":\"d\",\"scopes\":[],\"expiresAt\":\"soon\"}");
        assertThat(fallback.validate("lk_live_x", "read")).isEmpty();

        querySide.answer("{}");
        assertThat(fallback.validate("lk_live_x", "read")).isEmpty();
    }
}
