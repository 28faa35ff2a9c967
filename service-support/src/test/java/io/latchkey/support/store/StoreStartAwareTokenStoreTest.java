package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.tokenstore.UnableToClaimTokenException;
import org.axonframework.extensions.mongo.eventsourcing.tokenstore.MongoTokenStore;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the embedded store over TCP, with Axon's own Mongo token store underneath. */
class StoreStartAwareTokenStoreTest {

    private static final String PROCESSOR = "keys";

    @TempDir
    Path dataDir;

    @Test
    void aSegmentClaimedBeforeTheStoreRestartedIsReadAgainFromTheStoredToken() {
        try (ServedStore store = ServedStore.start(dataDir)) {
            StoreStartAwareTokenStore.recordStart(store.database());
            StoreStartAwareTokenStore tokens = new StoreStartAwareTokenStore(MongoTokenStore.builder()
                    .mongoTemplate(store.template()).serializer(JacksonSerializer.defaultSerializer()).build(),
                    store.database());
            tokens.initializeTokenSegments(PROCESSOR, 1);
            tokens.fetchToken(PROCESSOR, 0);
            tokens.storeToken(new GlobalSequenceTrackingToken(5), PROCESSOR, 0);
            tokens.extendClaim(PROCESSOR, 0);

            // What the command side does when it starts again after a crash took back what followed.
            StoreStartAwareTokenStore.recordStart(store.database());

            assertThatThrownBy(() -> tokens.storeToken(new GlobalSequenceTrackingToken(9), PROCESSOR, 0))
                    .isInstanceOf(UnableToClaimTokenException.class);
            assertThat(tokens.fetchToken(PROCESSOR, 0)).isEqualTo(new GlobalSequenceTrackingToken(5));
            tokens.storeToken(new GlobalSequenceTrackingToken(9), PROCESSOR, 0);
            assertThat(tokens.fetchToken(PROCESSOR, 0)).isEqualTo(new GlobalSequenceTrackingToken(9));
        }
    }

    @Test
    void anIdleSegmentNoticesTheRestartWhenItsClaimIsExtended() {
        try (ServedStore store = ServedStore.start(dataDir)) {
            StoreStartAwareTokenStore.recordStart(store.database());
            StoreStartAwareTokenStore tokens = new StoreStartAwareTokenStore(MongoTokenStore.builder()
                    .mongoTemplate(store.template()).serializer(JacksonSerializer.defaultSerializer()).build(),
                    store.database());
            tokens.initializeTokenSegments(PROCESSOR, 1);
            tokens.fetchToken(PROCESSOR, 0);

            StoreStartAwareTokenStore.recordStart(store.database());

            assertThatThrownBy(() -> tokens.extendClaim(PROCESSOR, 0)).isInstanceOf(UnableToClaimTokenException.class);
            tokens.extendClaim(PROCESSOR, 0);
        }
    }
}
