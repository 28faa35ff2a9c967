package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.latchkey.testing.LoopbackPorts;
import java.nio.file.Path;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.tokenstore.UnableToClaimTokenException;
import org.axonframework.extensions.mongo.DefaultMongoTemplate;
import org.axonframework.extensions.mongo.eventsourcing.tokenstore.MongoTokenStore;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reader of the embedded store that runs on while the store stops and starts again on the same port, as a query
 * side does through a restart of the command side: over TCP, with Axon's own Mongo token store underneath.
 */
class StoreStartAwareTokenStoreTest {

    private static final String PROCESSOR = "keys";

    @TempDir
    Path dataDir;

    private final int port = LoopbackPorts.free();

    private EmbeddedMongoServer start() {
        return EmbeddedMongoServer.start(dataDir, "127.0.0.1", port, "latchkey");
    }

    /** The token store of a reader of the store, with the processor's one segment claimed. */
    private static StoreStartAwareTokenStore claimed(MongoClient client) {
        StoreStartAwareTokenStore tokens = new StoreStartAwareTokenStore(MongoTokenStore.builder()
                .mongoTemplate(DefaultMongoTemplate.builder().mongoDatabase(client, "latchkey").build())
                .serializer(JacksonSerializer.defaultSerializer()).build(), client.getDatabase("latchkey"));
        tokens.initializeTokenSegments(PROCESSOR, 1);
        tokens.fetchToken(PROCESSOR, 0);
        return tokens;
    }

    @Test
    void aSegmentClaimedBeforeTheStoreRestartedIsReadAgainFromTheStoredToken() {
        EmbeddedMongoServer first = start();
        try (MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + port)) {
            StoreStartAwareTokenStore tokens = claimed(client);
            tokens.storeToken(new GlobalSequenceTrackingToken(5), PROCESSOR, 0);
            tokens.extendClaim(PROCESSOR, 0);
            first.close();

            try (EmbeddedMongoServer again = start()) {
                assertThatThrownBy(() -> tokens.storeToken(new GlobalSequenceTrackingToken(9), PROCESSOR, 0))
                        .isInstanceOf(UnableToClaimTokenException.class);
                assertThat(tokens.fetchToken(PROCESSOR, 0)).isEqualTo(new GlobalSequenceTrackingToken(5));
                tokens.storeToken(new GlobalSequenceTrackingToken(9), PROCESSOR, 0);
                assertThat(tokens.fetchToken(PROCESSOR, 0)).isEqualTo(new GlobalSequenceTrackingToken(9));
            }
        }
    }

    @Test
    void anIdleSegmentNoticesTheRestartWhenItsClaimIsExtended() {
        EmbeddedMongoServer first = start();
        try (MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + port)) {
            StoreStartAwareTokenStore tokens = claimed(client);
            tokens.extendClaim(PROCESSOR, 0);
            first.close();

            try (EmbeddedMongoServer again = start()) {
                assertThatThrownBy(() -> tokens.extendClaim(PROCESSOR, 0))
                        .isInstanceOf(UnableToClaimTokenException.class);
                tokens.extendClaim(PROCESSOR, 0);
            }
        }
    }
}
