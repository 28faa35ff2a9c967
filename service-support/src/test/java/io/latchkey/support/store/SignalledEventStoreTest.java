package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import com.mongodb.client.MongoClient;
import io.latchkey.support.hazelcast.HazelcastAppendSignal;
import io.latchkey.support.hazelcast.LoopbackMembers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.axonframework.common.stream.BlockingStream;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.extensions.mongo.DefaultMongoTemplate;
import org.axonframework.serialization.json.JacksonSerializer;
import org.axonframework.serialization.upcasting.event.NoOpEventUpcaster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes' event stores on one embedded store over TCP, each with a client and a Hazelcast member of its own
 * in one cluster, as the command side and the query side have them. The reader polls once a minute, so within these
 * tests' waits only a signal can bring it an event.
 */
class SignalledEventStoreTest {

    private static final long POLL_ONCE_A_MINUTE = TimeUnit.MINUTES.toMillis(1);

    @TempDir
    Path dataDir;

    private final List<AutoCloseable> opened = new ArrayList<>();
    private ServedStore store;
    private HazelcastInstance writerMember;
    private HazelcastInstance readerMember;
    private EmbeddedEventStore writer;
    private EmbeddedEventStore reader;

    @BeforeEach
    void start() {
        store = ServedStore.start(dataDir);
        List<HazelcastInstance> members = LoopbackMembers.start("signal-test", "command-side", "query-side");
        writerMember = members.get(0);
        readerMember = members.get(1);
        assertThat(readerMember.getCluster().getMembers()).hasSize(2);
        writer = eventStore(store.client(), store.server(), writerMember, POLL_ONCE_A_MINUTE);
        MongoClient readerClient = store.newClient();
        opened.add(readerClient);
        reader = eventStore(readerClient, null, readerMember, POLL_ONCE_A_MINUTE);
    }

    private EmbeddedEventStore eventStore(MongoClient client, EmbeddedMongoServer served, HazelcastInstance member,
                                          long fetchDelay) {
        JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
        HazelcastAppendSignal signal = new HazelcastAppendSignal(member);
        opened.add(signal);
        return StoreAutoConfiguration.signalled(EmbeddedEventStore.builder()
                .storageEngine(StoreAutoConfiguration.embeddedEngine(
                        DefaultMongoTemplate.builder().mongoDatabase(client, "latchkey").build(),
                        client.getDatabase("latchkey"), served, serializer, serializer, NoOpEventUpcaster.INSTANCE))
                .fetchDelay(fetchDelay), signal);
    }

    @AfterEach
    void stop() throws Exception {
        for (EmbeddedEventStore each : new EmbeddedEventStore[] {reader, writer}) {
            if (each != null) {
                each.shutDown();
            }
        }
        for (AutoCloseable each : opened) {
            each.close();
        }
        for (HazelcastInstance each : new HazelcastInstance[] {readerMember, writerMember}) {
            if (each != null) {
                each.shutdown();
            }
        }
        if (store != null) {
            store.close();
        }
    }

    @Test
    void anAppendInAnotherProcessReachesAReaderLongBeforeItsNextPoll() throws InterruptedException {
        // The reader's first event comes by its first fetch; once it has read it, it waits a minute before the next.
        append(0);
        BlockingStream<TrackedEventMessage<?>> stream = reader.openStream(null);
        assertThat(stream.hasNextAvailable(10, TimeUnit.SECONDS)).isTrue();
        assertThat(stream.nextAvailable().getPayload()).isEqualTo("event-0");
        assertThat(stream.hasNextAvailable(300, TimeUnit.MILLISECONDS)).isFalse();

        append(1);

        assertThat(stream.hasNextAvailable(10, TimeUnit.SECONDS)).isTrue();
        assertThat(stream.nextAvailable().getPayload()).isEqualTo("event-1");
        stream.close();
    }

    private void append(long sequence) {
        writer.publish(new GenericDomainEventMessage<>("Thing", "thing", sequence, "event-" + sequence));
    }
}
