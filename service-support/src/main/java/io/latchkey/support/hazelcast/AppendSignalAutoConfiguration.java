package io.latchkey.support.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.support.store.AppendSignal;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/** The embedded mode's append signal, on the service's replica member; Axon Server pushes events itself. */
@AutoConfiguration(afterName = "org.springframework.boot.autoconfigure.hazelcast.HazelcastAutoConfiguration")
@ConditionalOnProperty(name = "axon.axonserver.enabled", havingValue = "false")
@ConditionalOnBean(HazelcastInstance.class)
public class AppendSignalAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(AppendSignal.class)
    HazelcastAppendSignal appendSignal(HazelcastInstance hazelcast) {
        return new HazelcastAppendSignal(hazelcast);
    }
}
