package io.latchkey.command.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.latchkey.support.security.Caller;
import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.RequestContext;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** A developer's allowance of changes, on a clock the test moves (from just before {@code nanoTime} wraps). */
class ChangeAllowanceTest {

    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong clock = new AtomicLong(Long.MAX_VALUE - 5 * SECOND);
    private final ChangeAllowance allowance = new ChangeAllowance(6, clock::get);

    private ProblemException refused(String developerId) {
        try {
            allowance.take(developerId);
        } catch (ProblemException refusal) {
            return refusal;
        }
        throw new AssertionError("a change of " + developerId + " was allowed");
    }

    @Test
    void aMinutesChangesMayComeAtOnceAndTheNextWaitsForItsShare() {
        for (int i = 0; i < 6; i++) {
            allowance.take("dev-a");
        }

        ProblemException refusal = refused("dev-a");

        assertThat(refusal.problem().getStatus()).isEqualTo(429);
        assertThat(refusal.problem().getType().toString()).endsWith("/too-many-changes");
        assertThat(refusal.retryAfterSeconds()).isEqualTo(10);
        clock.addAndGet(9 * SECOND);
        assertThat(refused("dev-a").retryAfterSeconds()).as("refusals used none of it").isEqualTo(1);
        clock.addAndGet(SECOND);
        allowance.take("dev-a");
        assertThat(refused("dev-a").retryAfterSeconds()).isEqualTo(10);
    }

    @Test
    void theAllowanceComesBackEvenlyAndNeverBeyondAMinutesWorth() {
        for (int i = 0; i < 6; i++) {
            allowance.take("dev-a");
        }
        clock.addAndGet(25 * SECOND);
        allowance.take("dev-a");
        allowance.take("dev-a");
        refused("dev-a");

        clock.addAndGet(10 * 60 * SECOND);
        for (int i = 0; i < 6; i++) {
            allowance.take("dev-a");
        }
        refused("dev-a");
    }

    @Test
    void oneDevelopersChangesLeaveAnothersAllowanceAndTheOperatorIsNeverHeld() {
        for (int i = 0; i < 6; i++) {
            allowance.take("dev-a");
        }
        refused("dev-a");

        for (int i = 0; i < 6; i++) {
            allowance.take("dev-b");
        }
        assertThatCode(() -> {
            for (int i = 0; i < 1_000; i++) {
                allowance.take(null);
            }
        }).doesNotThrowAnyException();
    }

    @Test
    void aDeveloperForgottenAmongTheTrackedGetsAWholeMinutesAgain() {
        for (int i = 0; i < 6; i++) {
            allowance.take("dev-a");
        }
        refused("dev-a");
        for (int i = 0; i < ChangeAllowance.TRACKED; i++) {
            allowance.take("other-" + i);
        }

        for (int i = 0; i < 6; i++) {
            allowance.take("dev-a");
        }
        refused("dev-a");
    }

    @Test
    void anAllowanceThatDividesNoMinuteIsStillExactToTheChange() {
        ChangeAllowance large = new ChangeAllowance(7_000_000, clock::get);
        for (int i = 0; i < 7_000_000; i++) {
            large.take("dev-a");
        }

        assertThatThrownBy(() -> large.take("dev-a")).isInstanceOf(ProblemException.class);
    }

    @Test
    void onlyADevelopersChangesAreHeldNotItsReadsNorTheOperatorOrTheEdges() throws Exception {
        ChangeAllowance one = new ChangeAllowance(1, clock::get);
        Caller developer = Caller.developer("dev-a", "key-a");
        for (String read : List.of("GET", "HEAD", "OPTIONS")) {
            assertThat(one.preHandle(request(read, developer), new MockHttpServletResponse(), null)).isTrue();
        }
        for (Caller other : List.of(Caller.OPERATOR, Caller.EDGE)) {
            for (int i = 0; i < 3; i++) {
                assertThat(one.preHandle(request("POST", other), new MockHttpServletResponse(), null)).isTrue();
            }
        }
        assertThat(one.preHandle(new MockHttpServletRequest("POST", "/v1/usage"), new MockHttpServletResponse(),
                null)).as("no caller resolved: the filter answered it").isTrue();

        assertThat(one.preHandle(request("PUT", developer), new MockHttpServletResponse(), null)).isTrue();
        assertThatThrownBy(() -> one.preHandle(request("DELETE", developer), new MockHttpServletResponse(), null))
                .isInstanceOf(ProblemException.class);
    }

    private static MockHttpServletRequest request(String method, Caller caller) {
        MockHttpServletRequest request = new MockHttpServletRequest(method, "/v1/keys/k/scopes");
        request.setAttribute(RequestContext.ATTRIBUTE, new RequestContext(caller, "request-1", "127.0.0.1"));
        return request;
    }

    @Test
    void anAllowanceOutsideItsBoundsIsRefusedAtStart() {
        assertThatThrownBy(() -> new ChangeAllowance(0, clock::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(ChangeAllowance.PROPERTY);
        assertThatThrownBy(() -> new ChangeAllowance(ChangeAllowance.MAX_PER_MINUTE + 1, clock::get))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatCode(() -> new ChangeAllowance(ChangeAllowance.MAX_PER_MINUTE, clock::get).take("dev-a"))
                .doesNotThrowAnyException();
    }
}
