package io.latchkey.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.latchkey.validator.UsageRecorder;
import io.latchkey.validator.servlet.PresentedKey;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;

/**
 * An edge's usage counting for a validator embedded in a service of your own: every answer recorded is counted per
 * key, minute, outcome and endpoint, and the counts are sent to the command side's {@code POST /v1/usage} every second
 * with the installation's usage token, so that the keys' usage and last use show what the service decided. Recording
 * does no I/O. {@link #close()} sends what is left (for up to 10 s); a crash loses what was counted since the last
 * report the command side acknowledged.
 *
 * <pre>{@code
 * UsageReporting usage = UsageReporting.start(URI.create("http://127.0.0.1:8081"), usageToken);
 * usage.record(validator.validate(key, "orders:read"), request.getRequestURI());
 * }</pre>
 */
public final class UsageReporting implements UsageRecorder, AutoCloseable {

    private static final Duration FLUSH_INTERVAL = Duration.ofSeconds(1);
    private static final Duration SHUTDOWN_BUDGET = Duration.ofSeconds(10);
    /** As the command and query sides take a token (service-support's {@code OperatorToken.MIN_LENGTH}). */
    private static final int MIN_TOKEN_LENGTH = 16;

    private final UsageCounter counter;
    private final UsageReporter reporter;

    private UsageReporting(UsageCounter counter, UsageReporter reporter) {
        this.counter = counter;
        this.reporter = reporter;
    }

    /**
     * @param commandSide the installation's command side ({@code http://127.0.0.1:8081} under {@code bin/latchkey})
     * @param usageToken  the installation's usage token ({@code LATCHKEY_USAGE_TOKEN}, or the data directory's
     *                    {@code usage-token} file): it opens no route but usage reports
     */
    public static UsageReporting start(URI commandSide, String usageToken) {
        if (commandSide == null || !commandSide.isAbsolute() || commandSide.getHost() == null
                || !commandSide.getScheme().equalsIgnoreCase("http")
                && !commandSide.getScheme().equalsIgnoreCase("https")) {
            throw new IllegalArgumentException("the command side's URL must be http(s)://host[:port], not '"
                    + commandSide + "'");
        }
        String token = requiredToken(usageToken);
        UsageCounter counter = new UsageCounter(Clock.systemUTC());
        return new UsageReporting(counter, new UsageReporter(counter, commandSide, token, new ObjectMapper(),
                FLUSH_INTERVAL, SHUTDOWN_BUDGET));
    }

    /**
     * The usage token as reports send it; refused, saying where to find it, when there is none, and when it is shorter
     * than the services take one (without its value).
     */
    public static String requiredToken(String usageToken) {
        if (usageToken == null || usageToken.isBlank()) {
            throw new IllegalArgumentException("the installation's usage token is required (latchkey.usage.token; "
                    + "bin/latchkey keeps it in the file usage-token of its data directory)");
        }
        return longEnough("latchkey.usage.token", usageToken.strip());
    }

    /** {@code token}, set as {@code property}, when it is as long as the services take a token; never its value. */
    static String longEnough(String property, String token) {
        if (token.length() < MIN_TOKEN_LENGTH) {
            throw new IllegalArgumentException(property + " must be at least " + MIN_TOKEN_LENGTH
                    + " characters, as the command and query sides take it");
        }
        return token;
    }

    /** As {@link UsageRecorder#record}; a URI whose path holds a key is counted without it, as the edge counts one. */
    @Override
    public void record(String keyId, String outcome, String requestUri) {
        counter.recordUnbuffered(keyId, requestUri == null || PresentedKey.holdsKey(PresentedKey.pathOf(requestUri))
                ? null : requestUri, outcome);
    }

    /** Sends what is left, then stops reporting: counts recorded later are not sent. */
    @Override
    public void close() {
        reporter.close();
    }
}
