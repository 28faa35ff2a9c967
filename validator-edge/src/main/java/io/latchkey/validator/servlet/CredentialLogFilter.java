package io.latchkey.validator.servlet;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops every event of Tomcat's (a logger under {@code org.apache.}) whose message, arguments or exception hold a key
 * or a Latchkey token: at debug level Tomcat repeats a request line it refused as it was sent, with the exception
 * that names it, whatever its user-data setting says. Dropped, not masked: a turbo filter cannot change an event. It
 * is asked about every logging call, before the level is, so anything else costs one prefix check.
 */
final class CredentialLogFilter extends TurboFilter {

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
                              Throwable t) {
        if (level == null || !logger.getName().startsWith("org.apache.")
                || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
            return FilterReply.NEUTRAL;
        }
        if (PresentedKey.mentionsCredential(format)) {
            return FilterReply.DENY;
        }
        if (params != null) {
            for (Object param : params) {
                if (param != null && PresentedKey.mentionsCredential(param.toString())) {
                    return FilterReply.DENY;
                }
            }
        }
        for (Throwable cause = t; cause != null; cause = cause.getCause()) {
            if (PresentedKey.mentionsCredential(cause.getMessage())) {
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }
}
