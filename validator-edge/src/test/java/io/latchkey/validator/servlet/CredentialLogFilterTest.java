package io.latchkey.validator.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Installs of the credential log filter, as every start of a key filter and of a service's context makes them. */
class CredentialLogFilterTest {

    @Test
    void startingFiltersAgainAndAgainNeverLengthensWhatEachLogEventIsCheckedAgainst() {
        LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
        Predicate<String> own = text -> text.contains("own-secret-0123");
        for (int i = 0; i < 100_000; i++) {
            CredentialLogFilter.install(logging, ContainerLogs.NONE);
            CredentialLogFilter.install(logging, own);
        }
        CredentialLogFilter filter = (CredentialLogFilter) logging.getTurboFilterList().stream()
                .filter(CredentialLogFilter.class::isInstance).findFirst().orElseThrow();
        Logger tomcat = logging.getLogger("org.apache.catalina.core.StandardContext");

        assertThat(filter.decide(null, tomcat, Level.INFO, "plain {}", new Object[] {"text"}, null))
                .isEqualTo(FilterReply.NEUTRAL);
        assertThat(filter.decide(null, tomcat, Level.INFO, "with {}", new Object[] {"own-secret-0123"}, null))
                .isEqualTo(FilterReply.DENY);
    }
}
