package io.latchkey.validator.servlet;

import java.util.function.Predicate;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Keeps credentials out of the servlet container's log. Tomcat logs a request it refuses as it was sent (a request
 * line it cannot parse, a parameter or a cookie it cannot decode), a key in its URL too, before any filter sees the
 * request; its debug log repeats what it received. So Tomcat is told to log none of the data it refuses, and where
 * logback is the logging backend, {@link CredentialLogFilter} drops its events that mention a credential. Names no
 * logback type, so that an application logging through another backend loads none.
 */
final class ContainerLogs {

    /** Tomcat's setting of how it logs data a client sent that it refused: {@code NONE} logs none of it. */
    private static final String USER_DATA_LOG = "org.apache.juli.logging.UserDataHelper.CONFIG";
    private static final String LOGBACK = "ch.qos.logback.classic.LoggerContext";
    /** No credential of the caller's own beside keys and Latchkey's tokens, which the filter always looks for. */
    static final Predicate<String> NONE = text -> false;

    private ContainerLogs() {
    }

    /**
     * Before the container takes requests: read by each of Tomcat's processors as it is made (one a connection), and
     * by its parsers as they load. {@code credentials}: a service's own that the log must not show either.
     */
    static void protect(Predicate<String> credentials) {
        System.setProperty(USER_DATA_LOG, "NONE");
        ILoggerFactory logging = LoggerFactory.getILoggerFactory();
        if (logging.getClass().getName().equals(LOGBACK)) {
            CredentialLogFilter.install(logging, credentials);
        }
    }
}
