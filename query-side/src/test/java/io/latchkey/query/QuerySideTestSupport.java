package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHasher;
import com.mongodb.client.MongoClient;
import io.latchkey.support.hazelcast.HazelcastAppendSignal;
import io.latchkey.support.store.EmbeddedMongoServer;
import io.latchkey.support.store.StoreAutoConfiguration;
import io.latchkey.testing.LoopbackPorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.extensions.mongo.MongoTemplate;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.upcasting.event.NoOpEventUpcaster;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.test.context.ContextConfiguration;

/**
 * One running query side shared by every Spring test class: the real embedded event store served over TCP, a real
 * Hazelcast member in a cluster of its own, real HTTP. Events go in as the command side appends them: through the
 * embedded store's real engine, from outside the query side's own {@link EventStore}, which only reads, and with the
 * command side's append signal, so the query side learns of them as it does in production.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ContextConfiguration(initializers = QuerySideTestSupport.EmbeddedStore.class)
abstract class QuerySideTestSupport {

    static final String OPERATOR_TOKEN = "query-side-test-token-" + UUID.randomUUID();
    /** The edges' token: usage reports and the fallback. */
    static final String USAGE_TOKEN = "query-side-test-usage-token-" + UUID.randomUUID();
    static final String CLUSTER_NAME = "qs-test-" + UUID.randomUUID();
    /** Room for test members from +10 up, as Hazelcast counts up to 20 ports from a taken one. */
    static final int HAZELCAST_PORT = LoopbackPorts.freeBlock(32);
    static final String ACTOR = "operator";
    static final String SOURCE_ADDRESS = "203.0.113.7";
    /** {@code latchkey.usage.max-buckets}, small so a test can exceed it. */
    static final int MAX_BUCKETS = 500;
    /** {@code latchkey.usage.retention}. */
    static final Duration RETENTION = Duration.ofDays(36_500);

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final KeyFormat KEYS = KeyFormat.forEnvironment("test");
    private static final KeyHasher HASHER = KeyHasher.sha256();

    /** The stores the tests serve, by URI, and one appender for each, as there is one command side. */
    private static final Map<String, EmbeddedMongoServer> STORES = new ConcurrentHashMap<>();
    private static final Map<String, CommandSide> COMMAND_SIDES = new ConcurrentHashMap<>();

    @LocalServerPort
    int port;

    @Autowired
    EventStore eventStore;
    @Autowired
    MongoClient mongoClient;
    @Autowired
    MongoTemplate axonMongoTemplate;
    @Autowired
    Serializer serializer;
    @Autowired
    @Qualifier("eventSerializer")
    Serializer eventSerializer;
    @Value("${spring.data.mongodb.uri}")
    String mongoUri;
    @Value("${latchkey.data-dir}")
    String dataDir;
    @Autowired
    ObjectMapper json;
    @Autowired
    HazelcastInstance hazelcast;

    /**
     * Serves the event store from this test JVM, as the command side does in production, and makes it the last
     * thing the context closes: everything that reads it shuts down first. First among initializers, so that a test's
     * own may reach the store through something else.
     */
    @Order(Ordered.HIGHEST_PRECEDENCE)
    static class EmbeddedStore implements ApplicationContextInitializer<ConfigurableApplicationContext> {

        @Override
        public void initialize(ConfigurableApplicationContext context) {
            int storePort = LoopbackPorts.free();
            Path dataDir;
            try {
                dataDir = Files.createTempDirectory("query-side-test-store");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            EmbeddedMongoServer store = EmbeddedMongoServer.start(dataDir, "127.0.0.1", storePort);
            String uri = "mongodb://127.0.0.1:" + storePort + "/latchkey";
            STORES.put(uri, store);
            ((DefaultListableBeanFactory) context.getBeanFactory()).registerDisposableBean("testEventStore", () -> {
                CommandSide commandSide = COMMAND_SIDES.remove(uri);
                if (commandSide != null) {
                    commandSide.shutDown();
                }
                STORES.remove(uri).close();
                deleteRecursively(dataDir);
            });
            TestPropertyValues.of(
                    "spring.data.mongodb.uri=" + uri,
                    "latchkey.data-dir=" + dataDir,
                    "latchkey.operator-token=" + OPERATOR_TOKEN,
                    "latchkey.usage.token=" + USAGE_TOKEN,
                    "latchkey.usage.max-buckets=" + MAX_BUCKETS,
                    // A century: the tests' reports reach back to 1970. KeyUsageRetentionTest makes shorter ones.
                    "latchkey.usage.retention=" + RETENTION,
                    // Polling as good as off: events reach the query side by the command side's signal or not at all.
                    "latchkey.store.fetch-delay=10m",
                    "latchkey.hazelcast.cluster-name=" + CLUSTER_NAME,
                    "latchkey.hazelcast.port=" + HAZELCAST_PORT,
                    "latchkey.hazelcast.members=127.0.0.1:" + HAZELCAST_PORT).applyTo(context);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A key as the command side would issue it: the plaintext stays with the test, events see only the hash. */
    record IssuedKey(String keyId, String developerId, String plaintext, String secretHash) {

        static IssuedKey issue(String developerId) {
            return withSecret(UUID.randomUUID().toString(), developerId);
        }

        /** The same key with the secret a rotation would issue. */
        IssuedKey rotated() {
            return withSecret(keyId, developerId);
        }

        private static IssuedKey withSecret(String keyId, String developerId) {
            String key = KEYS.generate();
            return new IssuedKey(keyId, developerId, key, HASHER.hash(key).hex());
        }
    }

    /** Event times as the read model stores them: MongoDB keeps milliseconds. */
    static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    /** Stops serving the store this query side reads, as a crash of the embedded mode's command side does. */
    void stopStore() {
        STORES.get(mongoUri).close();
    }

    /**
     * Serves the store again, from its files and on its port, as the command side's restart does; events appended
     * after go through a new appender, as they would through the restarted command side.
     */
    void restartStore() {
        STORES.put(mongoUri, EmbeddedMongoServer.start(Path.of(dataDir), "127.0.0.1",
                URI.create(mongoUri).getPort()));
        CommandSide before = COMMAND_SIDES.remove(mongoUri);
        if (before != null) {
            before.shutDown();
        }
    }

    /** The events as the command side appends them, to this test's store. */
    EventStore commandSide() {
        return COMMAND_SIDES.computeIfAbsent(mongoUri, uri -> {
            // A signal of its own, on this query side's member: a second process's, which the query side listens to.
            HazelcastAppendSignal signal = new HazelcastAppendSignal(hazelcast);
            return new CommandSide(StoreAutoConfiguration.signalled(EmbeddedEventStore.builder()
                    .storageEngine(StoreAutoConfiguration.embeddedEngine(axonMongoTemplate,
                            mongoClient.getDatabase("latchkey"), STORES.get(uri), serializer, eventSerializer,
                            NoOpEventUpcaster.INSTANCE)), signal), signal);
        }).events();
    }

    private record CommandSide(EmbeddedEventStore events, HazelcastAppendSignal signal) {

        void shutDown() {
            events.shutDown();
            signal.close();
        }
    }

    /** The replica snapshot of a query side that has saved nothing yet, in a database of its own; close it after. */
    ReplicaSnapshot freshSnapshot() {
        return new ReplicaSnapshot(new org.springframework.data.mongodb.core.MongoTemplate(mongoClient,
                "replica-" + UUID.randomUUID()));
    }

    /** Appends one event to the store the way an aggregate does, with the audit metadata every event carries. */
    String append(String aggregateType, String aggregateId, long sequence, Object payload) {
        return append(aggregateType, aggregateId, sequence, payload, ACTOR);
    }

    String append(String aggregateType, String aggregateId, long sequence, Object payload, String actor) {
        return append(aggregateType, aggregateId, sequence, payload, actor, Instant.now());
    }

    /**
     * Appends one event stamped {@code at}, as the store would have stamped it then, its request's id the returned one
     * and the client's {@code "client-"} and that id.
     */
    String append(String aggregateType, String aggregateId, long sequence, Object payload, String actor, Instant at) {
        String requestId = UUID.randomUUID().toString();
        commandSide().publish(new GenericDomainEventMessage<>(aggregateType, aggregateId, sequence, payload,
                MetaData.from(Map.of("actor", actor, "requestId", requestId, "clientRequestId", "client-" + requestId,
                        "sourceAddress", SOURCE_ADDRESS)),
                UUID.randomUUID().toString(), at));
        return requestId;
    }

    String appendKeyEvent(String keyId, long sequence, Object payload) {
        return append("ApiKey", keyId, sequence, payload);
    }

    record Response(int status, String contentType, String raw, JsonNode body, String retryAfter, String etag) {
    }

    Response get(String path) {
        return get(path, OPERATOR_TOKEN);
    }

    Response get(String path, String token, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return send(request);
    }

    Response post(String path, Object body) {
        return post(path, body, OPERATOR_TOKEN);
    }

    Response post(String path, Object body, String token) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            return send(request);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            String raw = response.body();
            JsonNode body = raw.isEmpty() ? json.nullNode() : json.readTree(raw);
            String contentType = response.headers().firstValue("Content-Type").orElse("");
            assertThat(raw).as("no response ever names a secret hash").doesNotContainIgnoringCase("secretHash");
            return new Response(response.statusCode(), contentType, raw, body,
                    response.headers().firstValue("Retry-After").orElse(null),
                    response.headers().firstValue("ETag").orElse(null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
