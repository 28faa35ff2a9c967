package io.latchkey.support.axonserver;

import io.latchkey.support.events.EventWindows;
import org.axonframework.axonserver.connector.AxonServerConfiguration;
import org.axonframework.axonserver.connector.AxonServerConnectionManager;
import org.axonframework.axonserver.connector.event.axon.GrpcMetaDataAwareSerializer;
import org.axonframework.config.Configuration;
import org.axonframework.serialization.Serializer;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/** Distributed mode: windows of an aggregate's events read from Axon Server with a bound and a cancel. */
@AutoConfiguration
@ConditionalOnProperty(name = "axon.axonserver.enabled", havingValue = "true", matchIfMissing = true)
public class AxonServerWindowsAutoConfiguration {

    @Bean
    EventWindows eventWindows(AxonServerConnectionManager connections, AxonServerConfiguration axonServer,
                              @Qualifier("eventSerializer") Serializer eventSerializer, Configuration configuration) {
        // Axon Server sends metadata as a map of its own values, which only this wrapper reads (as Axon's store does).
        return new AxonServerEventWindows(connections, axonServer.getContext(),
                new GrpcMetaDataAwareSerializer(eventSerializer), configuration.upcasterChain());
    }
}
