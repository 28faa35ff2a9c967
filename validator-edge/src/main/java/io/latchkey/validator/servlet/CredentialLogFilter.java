package io.latchkey.validator.servlet;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggerContextListener;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Marker;

/**
 * Drops every event of Tomcat's (a logger under {@code org.apache.}) whose message, arguments or exceptions hold a key,
 * a Latchkey token, or a credential the service names: at debug level Tomcat repeats what it received and what it
 * refused as it was sent. Dropped, not masked: a turbo filter cannot change an event. It is asked about every logging
 * call, so anything not Tomcat's costs one prefix check; first of the turbo filters, so that none that accepts an
 * event first lets it past, and put back whenever logging is reset.
 */
final class CredentialLogFilter extends TurboFilter {

    /** Causes and suppressed exceptions looked through at most: a chain may be long, or a cycle. */
    private static final int MAX_THROWABLES = 32;

    /** The service's own credentials; the latest service started in this JVM names them. */
    private volatile Predicate<String> named;
    private final Predicate<String> credentials =
            text -> PresentedKey.mentionsCredential(text) || text != null && named.test(text);

    private CredentialLogFilter(Predicate<String> named) {
        this.named = named;
    }

    /** Installs the filter in {@code logging} to stay through resets, once; again, it takes the new credentials. */
    static void install(LoggerContext logging, Predicate<String> credentials) {
        for (LoggerContextListener listener : logging.getCopyOfListenerList()) {
            if (listener instanceof Keeper keeper) {
                keeper.filter().named = credentials;
                return;
            }
        }
        Keeper keeper = new Keeper(new CredentialLogFilter(credentials));
        logging.addListener(keeper);
        keeper.onReset(logging);
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
                              Throwable t) {
        if (!logger.getName().startsWith("org.apache.")) {
            return FilterReply.NEUTRAL;
        }
        try {
            return credentials.test(format) || holdCredentials(params) || holdCredentials(t) ? FilterReply.DENY
                    : FilterReply.NEUTRAL;
        } catch (RuntimeException unreadable) {
            // An argument whose text cannot be read cannot be shown to hold none.
            return FilterReply.DENY;
        }
    }

    private boolean holdCredentials(Object[] params) {
        if (params != null) {
            for (Object param : params) {
                if (param != null && credentials.test(param.toString())) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean holdCredentials(Throwable t) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        return holdCredentials(t, seen);
    }

    private boolean holdCredentials(Throwable t, Set<Throwable> seen) {
        if (t == null || seen.size() >= MAX_THROWABLES || !seen.add(t)) {
            return false;
        }
        if (credentials.test(t.getMessage()) || holdCredentials(t.getCause(), seen)) {
            return true;
        }
        for (Throwable suppressed : t.getSuppressed()) {
            if (holdCredentials(suppressed, seen)) {
                return true;
            }
        }
        return false;
    }

    /** Puts the filter back, first, after every reset, which removes every turbo filter. */
    private record Keeper(CredentialLogFilter filter) implements LoggerContextListener {

        @Override
        public boolean isResetResistant() {
            return true;
        }

        @Override
        public void onReset(LoggerContext context) {
            filter.setContext(context);
            filter.start();
            context.getTurboFilterList().add(0, filter);
        }

        @Override
        public void onStart(LoggerContext context) {
        }

        @Override
        public void onStop(LoggerContext context) {
        }

        @Override
        public void onLevelChange(Logger logger, Level level) {
        }
    }
}
