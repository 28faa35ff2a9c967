package io.latchkey.validator.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.validator.spring.LatchkeyValidatorAutoConfiguration;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.boot.autoconfigure.hazelcast.HazelcastAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.DispatcherServletAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.ServletWebServerFactoryAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext;

/**
 * A service that embeds the validator's filter through Spring Boot, as docs/embedding.md shows, keeps a key out of its
 * log where Tomcat refuses the request before the filter sees it: a real Tomcat, a real replica member of its own.
 */
class EmbeddedContainerLogTest {

    @SpringBootConfiguration
    @ImportAutoConfiguration({PropertyPlaceholderAutoConfiguration.class,
            ServletWebServerFactoryAutoConfiguration.class, DispatcherServletAutoConfiguration.class,
            HazelcastAutoConfiguration.class, LatchkeyValidatorAutoConfiguration.class})
    static class Service {
    }

    /** What another service of this JVM (an edge in another test) installed: this one must do it by itself. */
    private static void forgetWhatWasInstalled() {
        System.clearProperty("org.apache.juli.logging.UserDataHelper.CONFIG");
        LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
        logging.getCopyOfListenerList().stream()
                .filter(listener -> listener.getClass().getEnclosingClass() == CredentialLogFilter.class)
                .forEach(logging::removeListener);
        logging.getTurboFilterList().removeIf(CredentialLogFilter.class::isInstance);
    }

    @Test
    void aKeyInARequestTomcatRefusesNeverReachesTheEmbeddingServicesLog() throws IOException {
        forgetWhatWasInstalled();
        String key = KeyFormat.forEnvironment("live").generate();
        int member = LoopbackPorts.free();
        String logged;
        try (var service = new SpringApplicationBuilder(Service.class).properties("server.port=0",
                "server.address=127.0.0.1", "latchkey.filter.url-patterns=/orders/*",
                "latchkey.hazelcast.cluster-name=embedded-" + UUID.randomUUID(), "latchkey.hazelcast.port=" + member,
                "latchkey.hazelcast.members=127.0.0.1:" + member).run()) {
            int port = ((ServletWebServerApplicationContext) service).getWebServer().getPort();
            try (ConnectorLog log = new ConnectorLog(Level.DEBUG, java.util.logging.Level.FINE)) {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                    socket.setSoTimeout(5_000);
                    socket.getOutputStream().write(("GET /orders/1?api_key=" + key + "{x HTTP/1.1\r\nHost: a\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
                            .startsWith("HTTP/1.1 400");
                }
                logged = log.text();
            }
        }
        assertThat(logged).as("Tomcat's connector log reaches the capture").contains(ConnectorLog.MARK)
                .doesNotContain(key.substring(key.lastIndexOf('_') + 1));
    }
}
