package io.latchkey.validator;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/** What one logger (and the loggers below it) logs from now until {@link #close()}, as logback gets it. */
public final class LogCapture implements AutoCloseable {

    private final Logger logger;
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();

    private LogCapture(Logger logger) {
        this.logger = logger;
        // Tests read the list while other threads log.
        events.list = new CopyOnWriteArrayList<>();
        events.start();
        logger.addAppender(events);
    }

    public static LogCapture of(Class<?> logged) {
        return of(logged.getName());
    }

    /** {@code name}: a logger's name, {@link Logger#ROOT_LOGGER_NAME} for every logger. */
    public static LogCapture of(String name) {
        return new LogCapture((Logger) LoggerFactory.getLogger(name));
    }

    /** The events captured so far. */
    public List<ILoggingEvent> events() {
        return events.list;
    }

    @Override
    public void close() {
        logger.detachAppender(events);
    }
}
