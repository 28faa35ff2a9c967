package io.latchkey.validator.servlet;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * What Tomcat's connector logs, captured at {@code level} and below through JULI, as it reaches logback: messages with
 * their exceptions. Made after the service started (Spring Boot sets logging up as a service starts, which drops
 * appenders added before); it logs a line of its own first, so that a test can tell the capture works.
 */
public final class ConnectorLog implements AutoCloseable {

    /** The line the capture logs first through Tomcat's connector logger. */
    public static final String MARK = "captured from here";
    private static final String CONNECTOR = "org.apache.coyote";

    private final java.util.logging.Logger jul = java.util.logging.Logger.getLogger(CONNECTOR);
    private final Logger logback = (Logger) LoggerFactory.getLogger(CONNECTOR);
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();

    public ConnectorLog(Level level, java.util.logging.Level julLevel) {
        events.start();
        logback.addAppender(events);
        logback.setLevel(level);
        jul.setLevel(julLevel);
        java.util.logging.Logger.getLogger(CONNECTOR + ".http11.Http11Processor").info(MARK);
    }

    /** Every event captured so far, its message and exception, one after the other. */
    public String text() {
        return events.list.stream().map(event -> event.getFormattedMessage() + (event.getThrowableProxy() == null
                ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()))).collect(Collectors.joining("\n"));
    }

    @Override
    public void close() {
        logback.detachAppender(events);
        logback.setLevel(null);
        jul.setLevel(null);
    }
}
