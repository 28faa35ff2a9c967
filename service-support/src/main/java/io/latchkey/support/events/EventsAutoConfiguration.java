package io.latchkey.support.events;

import org.axonframework.serialization.upcasting.event.EventUpcaster;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.context.annotation.Bean;

/** The upcasters every service reads events through, whichever store holds them. */
@AutoConfiguration
public class EventsAutoConfiguration {

    @Bean
    EventUpcaster timeBoundsUpcaster() {
        return new TimeBoundsUpcaster();
    }

    @Bean
    EventUpcaster rotationUpcaster() {
        return new RotationUpcaster();
    }
}
