package io.latchkey.validator.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.validator.Decision;
import io.latchkey.validator.RateLimitState;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HttpVerdictTest {

    private static HttpVerdict allowedWith(RateLimitState state) {
        Decision decision = new Decision(Decision.Status.VALID, "key-1", "dev-1", List.of("read"), null, state);
        return HttpVerdict.of("/authorize", null, PresentedKey.from("Bearer lk_test_x", null),
                key -> Optional.of(decision));
    }

    /** A bucket whose burst is above its limit holds more than the policy's quota: RateLimit must not say so. */
    @Test
    void theRemainingCountNeverExceedsThePolicysQuota() {
        HttpVerdict burst = allowedWith(new RateLimitState(true, 100, 60, 199, 1, 0));

        assertThat(burst.headers()).containsEntry("RateLimit-Policy", "\"key\";q=100;w=60")
                .containsEntry("RateLimit", "\"key\";r=100;t=1");
    }

    /** A decision made elsewhere (the query side's, a caller's own) may say limited without the limiter's state. */
    @Test
    void aLimitedDecisionWithoutItsLimitersStateIsStill429() {
        Decision limited = new Decision(Decision.Status.RATE_LIMITED, "key-1", "dev-1", List.of("read"), null);
        HttpVerdict verdict = HttpVerdict.of("/authorize", null, PresentedKey.from("Bearer lk_test_x", null),
                key -> Optional.of(limited));

        assertThat(verdict.status()).isEqualTo(429);
        assertThat(verdict.headers()).containsEntry("Cache-Control", "no-store").doesNotContainKey("RateLimit");

        Decision spent = new Decision(Decision.Status.QUOTA_EXCEEDED, "key-1", "dev-1", List.of("read"), null);
        HttpVerdict overQuota = HttpVerdict.of("/authorize", null, PresentedKey.from("Bearer lk_test_x", null),
                key -> Optional.of(spent));
        assertThat(overQuota.status()).isEqualTo(429);
        assertThat(overQuota.slug()).isEqualTo("quota-exceeded");
        assertThat(overQuota.headers()).containsEntry("Cache-Control", "no-store").doesNotContainKey("RateLimit");
    }

    @Test
    void belowTheQuotaTheRemainingCountIsTheBucketsOwn() {
        assertThat(allowedWith(new RateLimitState(true, 100, 60, 42, 35, 0)).headers())
                .containsEntry("RateLimit", "\"key\";r=42;t=35");
    }

    /** Every problem the edge answers with has a title, as the services' problems have (RFC 9457). */
    @Test
    void problemsAreTitledWithTheStatusesReason() {
        Decision notFound = new Decision(Decision.Status.NOT_FOUND, null, null, List.of(), null);
        HttpVerdict unauthenticated = HttpVerdict.of("/authorize", null, PresentedKey.from("Bearer lk_test_x", null),
                key -> Optional.of(notFound));

        assertThat(unauthenticated.problemJson()).contains("\"title\":\"Unauthorized\",\"status\":401");
        assertThat(HttpVerdict.problemJson(413, "content-too-large", "x")).contains("\"title\":\"Content Too Large\"");
        assertThat(HttpVerdict.problemJson(418, "teapot", "x")).contains("\"title\":\"Client Error\"");
    }
}
