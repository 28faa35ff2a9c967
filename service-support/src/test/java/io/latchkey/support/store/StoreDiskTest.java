package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.util.unit.DataSize;

/** The disk the embedded store writes to, as health and metrics show it, on a real directory. */
@ExtendWith(OutputCaptureExtension.class)
class StoreDiskTest {

    @TempDir
    Path dataDir;

    /** DOWN would stop a start on a small disk, and take the command side out of service long before it fails. */
    @Test
    void healthSaysTheDataDirectorysDiskIsLowAndStaysUpWhileAboveTheFloor() {
        long free = dataDir.toFile().getUsableSpace();

        Health health = new StoreAutoConfiguration().diskSpaceHealthIndicator(
                properties(DataSize.ofBytes(free + DataSize.ofGigabytes(1).toBytes())), dataDir.toString()).health();

        assertThat(free).as("this machine's disk").isGreaterThan(StoreDiskHealth.FLOOR_BYTES);
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails().get("low")).isEqualTo(true);
        assertThat(health.getDetails().get("path")).isEqualTo(dataDir.toAbsolutePath().toString());
    }

    @Test
    void healthIsUpWhileTheDataDirectorysDiskHasRoomAboveTheThreshold() {
        Health health = new StoreAutoConfiguration().diskSpaceHealthIndicator(properties(DataSize.ofBytes(1)),
                dataDir.toString()).health();

        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails().get("low")).isEqualTo(false);
        assertThat(health.getDetails().get("threshold")).isEqualTo(1L);
    }

    /** Health is checked five times a second while bin/latchkey waits for a start; each line goes to that disk. */
    @Test
    void aShortDiskIsLoggedOnceNotAtEveryCheck(CapturedOutput output) {
        HealthIndicator health = new StoreAutoConfiguration().diskSpaceHealthIndicator(
                properties(DataSize.ofBytes(Long.MAX_VALUE)), dataDir.toString());

        for (int i = 0; i < 5; i++) {
            assertThat(health.health().getDetails().get("low")).isEqualTo(true);
        }

        assertThat(output.getAll().split("under latchkey.store.min-free-space", -1)).hasSize(2);
    }

    @Test
    void theThresholdLeavesMoreRoomThanSpringBootsTenMegabytesByDefault() {
        assertThat(properties(null).minFreeSpace()).isEqualTo(DataSize.ofMegabytes(256));
    }

    @Test
    void gaugesShowTheStoreFilesSizeAndTheRoomLeftBesideIt() throws Exception {
        Files.write(dataDir.resolve(EmbeddedMongoServer.FILE_NAME), new byte[12_345]);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();

        new StoreDiskMetrics(dataDir).bindTo(registry);

        assertThat(registry.get("latchkey.store.file").gauge().value()).isEqualTo(12_345);
        assertThat(registry.get("latchkey.store.file").gauge().getId().getBaseUnit()).isEqualTo("bytes");
        assertThat(registry.get("latchkey.store.free").gauge().value()).isPositive();
        assertThat(registry.get("latchkey.store.free").gauge().getId().getBaseUnit()).isEqualTo("bytes");
    }

    private static StoreProperties properties(DataSize minFreeSpace) {
        return new StoreProperties(true, null, 0, null, null, null, minFreeSpace);
    }
}
