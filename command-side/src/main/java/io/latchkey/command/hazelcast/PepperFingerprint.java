package io.latchkey.command.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Publishes how this side hashes secrets ({@link KeyHasher#fingerprint}) to the replica cluster. The command side
 * makes every key's hash, so its pepper is the installation's: a validator given another one finds every key unknown,
 * and on reading this it decides none and says why instead. Again every minute, for a cluster whose members all
 * restarted.
 */
@Component
class PepperFingerprint {

    private final ReplicaWriter writer;
    private final long fingerprint;

    PepperFingerprint(HazelcastInstance hazelcast, KeyHasher hasher) {
        this.writer = ReplicaWriter.of(hazelcast);
        this.fingerprint = hasher.fingerprint();
    }

    @Scheduled(fixedDelay = 60_000)
    void publish() {
        writer.publishPepperFingerprint(fingerprint);
    }
}
