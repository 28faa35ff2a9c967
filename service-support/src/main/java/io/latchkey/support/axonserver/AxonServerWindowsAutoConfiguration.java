package io.latchkey.support.axonserver;

import io.latchkey.support.events.EventWindows;
import org.axonframework.axonserver.connector.AxonServerConfiguration;
import org.axonframework.axonserver.connector.AxonServerConnectionManager;
import org.axonframework.config.Configuration;
import org.axonframework.serialization.Serializer;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/** Distributed mode: windows of an aggregate's events read from Axon Server with a bound and a cancel. */
@AutoConfiguration
@ConditionalOnProperty(name = "axon.axonserver.enabled", havingValue = "true")
public class AxonServerWindowsAutoConfiguration {

    @Bean
    EventWindows eventWindows(AxonServerConnectionManager connections, AxonServerConfiguration axonServer,
                              @Qualifier("eventSerializer") Serializer eventSerializer, Configuration configuration) {
        return new AxonServerEventWindows(connections, axonServer.getContext(), eventSerializer,
                configuration.upcasterChain());
    }
}
