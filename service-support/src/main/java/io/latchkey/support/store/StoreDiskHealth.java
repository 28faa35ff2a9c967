package io.latchkey.support.store;

import java.io.File;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.util.unit.DataSize;

/**
 * Spring Boot's disk space check with its details, on the data directory, saying once that the room is short and once
 * that it is back: Boot's logs a line at each check, five a second while {@code bin/latchkey} waits for a start, onto
 * the disk that is filling. Short of {@code latchkey.store.min-free-space} it warns and stays UP, with {@code low} in
 * its details: DOWN then would stop a start on a small disk and take the command side out of a load balancer's pool
 * long before anything fails. It is DOWN below {@value #FLOOR_BYTES} bytes (Spring Boot's own threshold), where the
 * next writes may close the store.
 */
final class StoreDiskHealth implements HealthIndicator {

    private static final Logger log = LoggerFactory.getLogger(StoreDiskHealth.class);
    static final long FLOOR_BYTES = 10L * 1024 * 1024;

    private final File dataDir;
    private final DataSize threshold;
    private final AtomicBoolean wasLow = new AtomicBoolean();

    StoreDiskHealth(File dataDir, DataSize threshold) {
        this.dataDir = dataDir;
        this.threshold = threshold;
    }

    @Override
    public Health health() {
        long free = dataDir.getUsableSpace();
        boolean low = free < threshold.toBytes();
        if (wasLow.compareAndSet(!low, low)) {
            if (low) {
                log.warn("The disk of the data directory {} has {} bytes free, under latchkey.store.min-free-space"
                        + " ({}): the store closes once a write finds it full", dataDir, free, threshold);
            } else {
                log.info("The disk of the data directory {} has {} bytes free again", dataDir, free);
            }
        }
        return (free < FLOOR_BYTES ? Health.down() : Health.up()).withDetail("total", dataDir.getTotalSpace())
                .withDetail("free", free).withDetail("low", low).withDetail("threshold", threshold.toBytes())
                .withDetail("path", dataDir.getAbsolutePath()).withDetail("exists", dataDir.exists()).build();
    }
}
