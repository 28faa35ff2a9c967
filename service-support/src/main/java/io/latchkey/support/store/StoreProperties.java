package io.latchkey.support.store;

import io.latchkey.validator.spring.Settings;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * {@code latchkey.store.*}: whether this process serves the embedded store, where, and how often tracking
 * processors poll it for new events.
 *
 * @param serve      serve the embedded MongoDB-wire store from this process (the command side does by default), which
 *                   then appends the events and numbers them
 * @param host       address the embedded store binds to
 * @param port       port the embedded store binds to
 * @param fetchDelay how long an idle tracking processor waits before asking the embedded store for new events, unless
 *                   another process signals an append first ({@link AppendSignal}); so only events whose signal was
 *                   lost, or came while every processor was reading older events, wait for it
 * @param unavailableAfter how long a request waits for a store it cannot reach before it is answered 503
 *                   ({@link StoreUnavailableAdvice}) instead of after the driver's 30 s; Axon's components, the
 *                   projections' path, wait the driver's 30 s ({@link StoreAutoConfiguration#axonStoreClient})
 * @param readTimeout how long a request waits for the store to answer on a connection it holds before it is answered
 *                   503 (twice that for a read, which the driver tries again): a store that stopped answering (a
 *                   frozen process, a peer gone without a word) would otherwise hold it for good; Axon's components
 *                   wait, as they resume where they were once it answers
 * @param minFreeSpace free space on the data directory's disk below which the serving process warns (its health
 *                   stays UP, with {@code low} in its details, down to {@link StoreDiskHealth#FLOOR_BYTES})
 */
@ConfigurationProperties("latchkey.store")
public record StoreProperties(boolean serve, String host, int port, Duration fetchDelay, Duration unavailableAfter,
                              Duration readTimeout, DataSize minFreeSpace) {

    /**
     * The store grows by megabytes a minute under load, and H2 writes new chunks before it frees the old ones, so
     * Spring Boot's 10 MB would warn minutes before the disk is full; 256 MB leaves an operator most of an hour at
     * 5 MB a minute.
     */
    static final DataSize DEFAULT_MIN_FREE_SPACE = DataSize.ofMegabytes(256);

    public StoreProperties {
        host = host == null ? "127.0.0.1" : host;
        port = port == 0 ? 27117 : Settings.within("latchkey.store.port", port, 1, 65_535);
        fetchDelay = fetchDelay == null ? Duration.ofMillis(500) : fetchDelay;
        unavailableAfter = unavailableAfter == null ? Duration.ofSeconds(2) : unavailableAfter;
        readTimeout = readTimeout == null ? Duration.ofSeconds(10) : readTimeout;
        minFreeSpace = minFreeSpace == null ? DEFAULT_MIN_FREE_SPACE : minFreeSpace;
        Settings.positive("latchkey.store.fetch-delay", fetchDelay);
        if (minFreeSpace.isNegative()) {
            throw new IllegalArgumentException("latchkey.store.min-free-space must not be negative, got "
                    + minFreeSpace);
        }
        if (unavailableAfter.isNegative() || readTimeout.isNegative()) {
            throw new IllegalArgumentException("latchkey.store.unavailable-after and latchkey.store.read-timeout "
                    + "must not be negative, not " + unavailableAfter + " and " + readTimeout);
        }
    }

    static Path dataDir(String configured) {
        return Path.of(configured == null || configured.isBlank() ? "data" : configured).toAbsolutePath();
    }
}
