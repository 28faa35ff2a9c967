package io.latchkey.command.rest;

import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.RequestContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * How many change requests a developer's admin keys may send: {@code latchkey.management.changes-per-minute} a
 * minute, all of them at once at most, the allowance coming back evenly over the minute. Every change adds events the
 * log keeps for good (and creates, rotations and revocations entries every edge's replica keeps), so one tenant's loop
 * must not grow them without bound. A request past the allowance is answered 429 with {@code Retry-After} before its
 * body is read or anything is sent, and uses none of it. Refusals made later (a bad body, a 404 for another tenant's
 * or no key) use it: they changed nothing, but it is the tenant's requests that are bounded, and a 404 still loaded
 * what it looked for. Revocations are never held nor counted: revoking is what an owner does when one of its admin
 * keys leaks, and the leaked key must not be able to spend the allowance to stop that; a key is revoked once, so
 * revocations add no more than the creates did. The operator and the edges are not held. Each command side keeps its
 * own allowances, in memory. Not the edges' {@code TokenBucket}: one number a developer, in whole nanoseconds, keeps
 * ten thousand developers small and the burst exact at any allowance.
 */
@Component
class ChangeAllowance implements HandlerInterceptor, WebMvcConfigurer {

    static final String PROPERTY = "latchkey.management.changes-per-minute";
    static final int MAX_PER_MINUTE = 60_000_000;
    /** Developers whose allowance is remembered; one that sent no change for longer than these gets a minute's. */
    static final int TRACKED = 10_000;
    private static final long MINUTE = 60_000_000_000L;
    private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS");
    /** The route of {@code KeyController.revoke}, the one change not held. */
    private static final String REVOCATIONS = "/v1/keys/*/revoke";

    private final long interval;
    /** The allowance times {@code interval} (rounded down): a minute or a little less, so the burst is exactly it. */
    private final long burst;
    private final LongSupplier nanoTime;
    /**
     * Per developer, the time at which its allowance is whole again (a virtual-scheduling token bucket, one number a
     * developer); a developer whose allowance is whole needs none.
     */
    private final Map<String, Long> wholeAt = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > TRACKED;
        }
    };

    @Autowired
    ChangeAllowance(@Value("${" + PROPERTY + ":300}") int perMinute) {
        this(perMinute, System::nanoTime);
    }

    ChangeAllowance(int perMinute, LongSupplier nanoTime) {
        if (perMinute < 1 || perMinute > MAX_PER_MINUTE) {
            throw new IllegalArgumentException(PROPERTY + " must be from 1 to " + MAX_PER_MINUTE + ", got "
                    + perMinute);
        }
        this.interval = MINUTE / perMinute;
        this.burst = perMinute * interval;
        this.nanoTime = nanoTime;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this).addPathPatterns("/v1/**").excludePathPatterns(REVOCATIONS);
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (!READS.contains(request.getMethod())
                && request.getAttribute(RequestContext.ATTRIBUTE) instanceof RequestContext ctx) {
            take(ctx.caller().developerId());
        }
        return true;
    }

    /** Takes one change from {@code developerId}'s allowance (null: not a developer, never held), or answers 429. */
    void take(String developerId) {
        if (developerId == null) {
            return;
        }
        long waitNanos;
        synchronized (wholeAt) {
            // Read under the lock: a time read before waiting for it would give away the wait.
            long now = nanoTime.getAsLong();
            Long whole = wholeAt.get(developerId);
            long after = (whole == null || whole - now < 0 ? now : whole) + interval;
            waitNanos = after - now - burst;
            if (waitNanos <= 0) {
                wholeAt.put(developerId, after);
            }
        }
        if (waitNanos > 0) {
            throw new ProblemException(429, "too-many-changes", "Too Many Requests",
                    "This developer's admin keys have sent more changes than " + PROPERTY
                            + " allows; retry after the seconds in Retry-After.",
                    (int) ((waitNanos + 999_999_999L) / 1_000_000_000L));
        }
    }
}
