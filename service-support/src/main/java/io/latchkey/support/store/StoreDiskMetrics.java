package io.latchkey.support.store;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The embedded store's file and the room left beside it, on the process that serves it: a store that grows towards a
 * full disk shows here before its writes fail and H2 closes it.
 */
record StoreDiskMetrics(Path dataDir) implements MeterBinder {

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("latchkey.store.file", this, StoreDiskMetrics::fileBytes)
                .description("Size of the embedded store's file").baseUnit("bytes").register(registry);
        Gauge.builder("latchkey.store.free", this, StoreDiskMetrics::freeBytes)
                .description("Space this process may still use on the disk of the data directory")
                .baseUnit("bytes").register(registry);
    }

    double fileBytes() {
        try {
            return Files.size(dataDir.resolve(EmbeddedMongoServer.FILE_NAME));
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    double freeBytes() {
        return dataDir.toFile().getUsableSpace();
    }
}
