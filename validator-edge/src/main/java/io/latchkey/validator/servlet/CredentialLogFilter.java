package io.latchkey.validator.servlet;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggerContextListener;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.ILoggerFactory;
import org.slf4j.Marker;

/**
 * Drops Tomcat's log events (loggers under {@code org.apache.}) that may show a credential: at debug level Tomcat
 * repeats what it received and what it refused as it was sent. Below INFO its connector's events are dropped whole:
 * they hold the raw bytes of each read, which may split a key anywhere. Any other event is dropped when its message,
 * arguments or exceptions mention a key or a Latchkey token (its start, anywhere: a word such as {@code bulk_} costs
 * its event too) or a credential a service names. Dropped, not masked: a turbo filter cannot change an event. It is
 * asked about every logging call, so anything not Tomcat's costs one prefix check; first of the turbo filters, so that
 * none that accepts an event first lets it past, and put back after a reset of the logging context (not after it is
 * stopped, as Spring Boot does when another application in the JVM sets logging up: that one's server installs it).
 */
final class CredentialLogFilter extends TurboFilter {

    /** Exceptions looked through at most (causes, suppressed, arguments): past this, an event is dropped. */
    private static final int MAX_THROWABLES = 32;
    /** Tomcat's connector and socket code, whose debug and trace events carry raw request bytes. */
    private static final List<String> RAW_BYTES = List.of("org.apache.coyote.", "org.apache.tomcat.util.net.");

    /** The credentials each service started in this JVM named: each test once, so that installs never lengthen it. */
    private volatile List<Predicate<String>> named = List.of();
    private final Predicate<String> credentials = text -> PresentedKey.mentionsCredential(text)
            || text != null && named.stream().anyMatch(credential -> credential.test(text));

    private CredentialLogFilter() {
    }

    /**
     * Installs the filter in {@code logging}, logback's, to stay through resets, once; again, it adds the new
     * credentials ({@link ContainerLogs#NONE} adds none, nor does a predicate added before). Takes it as SLF4J's type,
     * so that its caller names no logback type ({@link ContainerLogs}).
     */
    static void install(ILoggerFactory factory, Predicate<String> credentials) {
        LoggerContext logging = (LoggerContext) factory;
        synchronized (CredentialLogFilter.class) {
            CredentialLogFilter filter = null;
            for (LoggerContextListener listener : logging.getCopyOfListenerList()) {
                if (listener instanceof Keeper keeper) {
                    filter = keeper.filter();
                }
            }
            if (filter == null) {
                filter = new CredentialLogFilter();
                Keeper keeper = new Keeper(filter);
                logging.addListener(keeper);
                keeper.onReset(logging);
            }
            if (credentials != ContainerLogs.NONE && !filter.named.contains(credentials)) {
                List<Predicate<String>> more = new ArrayList<>(filter.named);
                more.add(credentials);
                filter.named = List.copyOf(more);
            }
        }
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
                              Throwable t) {
        String name = logger.getName();
        if (!name.startsWith("org.apache.")) {
            return FilterReply.NEUTRAL;
        }
        if (level != null && !level.isGreaterOrEqual(Level.INFO) && RAW_BYTES.stream().anyMatch(name::startsWith)) {
            return FilterReply.DENY;
        }
        try {
            Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            return credentials.test(format) || holdCredentials(params, seen) || holdCredentials(t, seen)
                    ? FilterReply.DENY : FilterReply.NEUTRAL;
        } catch (RuntimeException unreadable) {
            // An argument whose text cannot be read cannot be shown to hold none.
            return FilterReply.DENY;
        }
    }

    /** Arguments as logback prints them: an array's elements, an exception with its causes. */
    private boolean holdCredentials(Object[] params, Set<Throwable> seen) {
        if (params != null) {
            for (Object param : params) {
                if (param instanceof Throwable thrown ? holdCredentials(thrown, seen)
                        : param != null && credentials.test(param instanceof Object[] array
                                ? Arrays.deepToString(array) : param.toString())) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean holdCredentials(Throwable t, Set<Throwable> seen) {
        if (t == null || !seen.add(t)) {
            return false;
        }
        if (seen.size() > MAX_THROWABLES || credentials.test(t.getMessage()) || holdCredentials(t.getCause(), seen)) {
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
