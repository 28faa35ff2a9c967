package io.latchkey.validator.redis;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.latchkey.testing.LoopbackPorts;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A link or limiter made from a missing argument fails at the call, naming it, not with a bare exception later. */
class RedisArgumentsTest {

    private static final Duration BUDGET = Duration.ofMillis(5);
    private static final Duration PAUSE = Duration.ofSeconds(1);

    @Test
    void aLinkWithoutAUriBudgetOrPauseIsRefusedNamingIt() {
        assertThatThrownBy(() -> RedisLink.open(null, BUDGET, PAUSE)).hasMessageContaining("uri is required");
        assertThatThrownBy(() -> RedisLink.open("redis://127.0.0.1:6379", null, PAUSE))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("budget is required");
        assertThatThrownBy(() -> RedisLink.open("redis://127.0.0.1:6379", BUDGET, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("pause is required");
    }

    @Test
    void aLimiterWithoutALinkOrSyncIntervalIsRefusedNamingIt() {
        assertThatThrownBy(() -> new ExactRedisRateLimiter(null)).hasMessageContaining("link is required");
        assertThatThrownBy(() -> RedisQuotaLimiter.exact(null)).hasMessageContaining("link is required");
        assertThatThrownBy(() -> RedisQuotaLimiter.leased(null)).hasMessageContaining("link is required");
        assertThatThrownBy(() -> new LocalSyncRateLimiter(null, PAUSE)).hasMessageContaining("link is required");
        // No Redis listens there: the link connects in the background, and the limiter is refused before using it.
        try (RedisLink link = RedisLink.open("redis://127.0.0.1:" + LoopbackPorts.free(), BUDGET, PAUSE)) {
            assertThatThrownBy(() -> new LocalSyncRateLimiter(link, null))
                    .hasMessageContaining("syncInterval is required");
            assertThatThrownBy(() -> new LocalSyncRateLimiter(link, Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("syncInterval must be positive");
        }
    }
}
