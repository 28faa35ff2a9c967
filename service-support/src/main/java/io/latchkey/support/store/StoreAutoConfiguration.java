package io.latchkey.support.store;

import com.mongodb.ConnectionString;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.latchkey.support.events.EventStoreWindows;
import io.latchkey.support.events.EventWindows;
import io.latchkey.support.web.ProblemException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.config.Configuration;
import org.axonframework.config.ConfigurerModule;
import org.axonframework.eventhandling.PropagatingErrorHandler;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.extensions.mongo.DefaultMongoTemplate;
import org.axonframework.extensions.mongo.MongoTemplate;
import org.axonframework.extensions.mongo.eventsourcing.eventstore.MongoEventStorageEngine;
import org.axonframework.extensions.mongo.eventsourcing.tokenstore.MongoTokenStore;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.upcasting.event.EventUpcaster;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.mongo.MongoClientSettingsBuilderCustomizer;
import org.springframework.boot.autoconfigure.mongo.MongoConnectionDetails;
import org.springframework.boot.autoconfigure.mongo.MongoProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * Wires the storage adapters. Both modes keep tracking tokens in MongoDB; only the embedded mode puts the events
 * there too and tunes how fast a tracking processor in another process sees them.
 */
@AutoConfiguration(beforeName = {
        "org.springframework.boot.actuate.autoconfigure.system.DiskSpaceHealthContributorAutoConfiguration",
        "org.springframework.boot.autoconfigure.mongo.MongoAutoConfiguration",
        "org.axonframework.springboot.autoconfig.AxonAutoConfiguration"})
@EnableConfigurationProperties(StoreProperties.class)
@Import(StoreUnavailableAdvice.class)
public class StoreAutoConfiguration {

    /** Events the embedded store reads in one fetch, a replay's or one aggregate's; readers of windows match it. */
    public static final int READ_BATCH = 1_000;

    private static final Logger log = LoggerFactory.getLogger(StoreAutoConfiguration.class);

    /** The process that serves the embedded store also owns the client, so the client closes first on shutdown. */
    @Bean(destroyMethod = "close")
    @ConditionalOnProperty(name = "latchkey.store.serve", havingValue = "true")
    EmbeddedMongoServer embeddedMongoServer(StoreProperties store, @Value("${latchkey.data-dir:data}") String dataDir,
                                            MongoProperties mongo) {
        return EmbeddedMongoServer.start(StoreProperties.dataDir(dataDir), store.host(), store.port(),
                mongo.getMongoClientDatabase());
    }

    /**
     * Replaces Spring Boot's disk space check (by the bean's name), which watches the working directory: this one
     * watches the data directory where the store writes, and warns {@code latchkey.store.min-free-space} before it is
     * full (DOWN only when nearly full: {@link StoreDiskHealth}), as a write that finds the disk full closes the
     * store, and every command fails until a restart.
     */
    @Bean
    @ConditionalOnProperty(name = "latchkey.store.serve", havingValue = "true")
    @ConditionalOnEnabledHealthIndicator("diskspace")
    HealthIndicator diskSpaceHealthIndicator(StoreProperties store,
                                             @Value("${latchkey.data-dir:data}") String dataDir) {
        return new StoreDiskHealth(StoreProperties.dataDir(dataDir).toFile(), store.minFreeSpace());
    }

    @Bean
    @ConditionalOnProperty(name = "latchkey.store.serve", havingValue = "true")
    StoreDiskMetrics storeDiskMetrics(@Value("${latchkey.data-dir:data}") String dataDir) {
        return new StoreDiskMetrics(StoreProperties.dataDir(dataDir));
    }

    /** Exits a process whose store H2 closed after a failed write, for its supervisor to start it again. */
    @Bean(destroyMethod = "close")
    @ConditionalOnProperty(name = "latchkey.store.serve", havingValue = "true")
    ClosedStoreExit closedStoreExit(EmbeddedMongoServer server, ConfigurableApplicationContext context) {
        return new ClosedStoreExit(server, Duration.ofSeconds(1),
                () -> System.exit(SpringApplication.exit(context, () -> ClosedStoreExit.STATUS)));
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnProperty(name = "latchkey.store.serve", havingValue = "true")
    MongoClient mongoClient(EmbeddedMongoServer server, StoreProperties store) {
        return MongoClients.create("mongodb://" + store.host() + ":" + store.port());
    }

    /**
     * Spring Boot's client, the one a process's requests use when it does not serve the store: it fails a request the
     * store cannot take within {@code latchkey.store.unavailable-after}, where the driver would wait 30 s for a server
     * to select, and one whose connection the store stops answering on within {@code latchkey.store.read-timeout},
     * where the driver would wait for good; the URI's {@code serverSelectionTimeoutMS} and {@code socketTimeoutMS}
     * win. Axon's components have a client of their own ({@link #axonStoreClient}).
     */
    @Bean
    MongoClientSettingsBuilderCustomizer storeUnavailableAfter(StoreProperties store, MongoProperties mongo) {
        ConnectionString uri = mongo.getUri() != null ? new ConnectionString(mongo.getUri()) : null;
        return settings -> {
            if (uri == null || uri.getServerSelectionTimeout() == null) {
                settings.applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(
                        store.unavailableAfter().toMillis(), TimeUnit.MILLISECONDS));
            }
            if (uri == null || uri.getSocketTimeout() == null) {
                settings.applyToSocketSettings(socket -> socket.readTimeout(
                        store.readTimeout().toMillis(), TimeUnit.MILLISECONDS));
            }
        };
    }

    /** Every command reply waits until its events are on disk: a 2xx survives {@code kill -9}. */
    @Bean
    @ConditionalOnProperty(name = "latchkey.store.serve", havingValue = "true")
    MessageHandlerInterceptor<CommandMessage<?>> durableCommitInterceptor(EmbeddedMongoServer server) {
        return durableCommits(server::commit);
    }

    /**
     * Runs {@code commit} once per root unit of work (commands nested in one, such as a usage report's, share it) in
     * its commit phase. That phase follows the append (the prepare-commit phase) and, unlike the after-commit phase,
     * whose failures Axon only logs, fails the command when the commit fails: such a command is answered 503, never
     * acknowledged. The commit phase runs its handlers in reverse order of registration, so handlers registered while
     * the command is handled (the command side's revocation fast path) run before this one: after the append, before
     * the disk. The 503 is a {@link ProblemException} because that is how every command failure reaches its caller.
     */
    static MessageHandlerInterceptor<CommandMessage<?>> durableCommits(Runnable commit) {
        return (unitOfWork, chain) -> {
            unitOfWork.root().getOrComputeResource("latchkey.durable-commit", name -> {
                unitOfWork.root().onCommit(u -> commitOrRefuse(commit));
                return Boolean.TRUE;
            });
            return chain.proceed();
        };
    }

    /**
     * The line names the root cause ("No space left on device"), which H2 wraps three deep. A store H2 has closed
     * already fails every commit alike: the write that closed it was logged, and {@link ClosedStoreExit} says so.
     */
    static void commitOrRefuse(Runnable commit) {
        try {
            commit.run();
        } catch (RuntimeException e) {
            if (!EmbeddedMongoServer.closedBefore(e)) {
                log.error("The embedded store could not write a command's events to disk ({}); the command is refused",
                        EmbeddedMongoServer.rootMessage(e), e);
            }
            throw new ProblemException(503, "not-durable", "Service unavailable",
                    "The change could not be written to disk and is not confirmed.");
        }
    }

    /**
     * Replaces Spring Boot's MongoDB health check, which sends {@code hello}: the embedded store does not know that
     * command and would keep every service DOWN. {@code ping} works on both stores; but the embedded server answers it
     * without its store, so the process that serves the store also checks that H2 has not closed it, as it does after
     * a failed write (a full disk), after which every command fails until a restart.
     */
    @Bean
    HealthIndicator mongoHealthIndicator(MongoClient client, MongoProperties mongo,
                                         ObjectProvider<EmbeddedMongoServer> served) {
        return storeHealth(client, mongo.getMongoClientDatabase(), served.getIfAvailable());
    }

    static HealthIndicator storeHealth(MongoClient client, String database, EmbeddedMongoServer served) {
        return () -> {
            if (served != null && !served.isOpen()) {
                return Health.down().withDetail("store", "closed by H2 after a failed write; this service exits to be"
                        + " started again").build();
            }
            try {
                client.getDatabase(database).runCommand(new Document("ping", 1));
                return Health.up().build();
            } catch (RuntimeException e) {
                return Health.down(e).build();
            }
        };
    }

    /**
     * The client of Axon's components, the projections' path to the store: it waits for a store it cannot reach as the
     * driver does (30 s), so that a projection waits out a short outage, as a command side's restart is, and goes on
     * at once, where failing as fast as a request would put it into Axon's back-off (1 s, doubling to 60 s). The
     * process that serves the store uses the one client it serves it with.
     */
    @Bean(destroyMethod = "close")
    AxonStoreClient axonStoreClient(ObjectProvider<EmbeddedMongoServer> served, MongoClient client,
                                    ObjectProvider<MongoConnectionDetails> connection, MongoProperties mongo) {
        if (served.getIfAvailable() != null) {
            return new AxonStoreClient(client, false);
        }
        MongoConnectionDetails details = connection.getIfAvailable();
        return new AxonStoreClient(MongoClients.create(details != null ? details.getConnectionString()
                : new ConnectionString(mongo.determineUri())), true);
    }

    @Bean
    MongoTemplate axonMongoTemplate(AxonStoreClient axon, MongoProperties mongo) {
        return DefaultMongoTemplate.builder().mongoDatabase(axon.client(), mongo.getMongoClientDatabase()).build();
    }

    @Bean
    TokenStore tokenStore(MongoTemplate axonMongoTemplate, Serializer serializer, AxonStoreClient axon,
                          MongoProperties mongo, @Value("${axon.axonserver.enabled:true}") boolean axonServer) {
        TokenStore tokens = MongoTokenStore.builder().mongoTemplate(axonMongoTemplate).serializer(serializer).build();
        // Only the embedded store restarts under a running query side with its last writes taken back.
        return axonServer ? tokens
                : new StoreStartAwareTokenStore(tokens, axon.client().getDatabase(mongo.getMongoClientDatabase()));
    }

    /**
     * Every projection propagates handler failures, so its processor retries with back-off instead of logging and
     * skipping the event (Axon's default), which would leave a read model or the replica silently behind.
     */
    @Bean
    ConfigurerModule propagateProjectionFailures() {
        return configurer -> configurer.eventProcessing()
                .registerDefaultListenerInvocationErrorHandler(c -> PropagatingErrorHandler.instance());
    }

    @Bean
    @ConditionalOnProperty(name = "axon.axonserver.enabled", havingValue = "false")
    EventStorageEngine eventStorageEngine(MongoTemplate axonMongoTemplate, AxonStoreClient axon, MongoProperties mongo,
                                          ObjectProvider<EmbeddedMongoServer> served, Serializer serializer,
                                          @Qualifier("eventSerializer") Serializer eventSerializer,
                                          Configuration configuration) {
        return embeddedEngine(axonMongoTemplate, axon.client().getDatabase(mongo.getMongoClientDatabase()),
                served.getIfAvailable(), serializer, eventSerializer, configuration.upcasterChain());
    }

    /**
     * The embedded store's events as the services read and append them; public so that a test of another module can
     * append as the command side does, from outside the process under test.
     *
     * @param served the store when this process serves it: then it appends the events and numbers them (the command
     *               side); null in a process that only reads them
     */
    public static EventStorageEngine embeddedEngine(MongoTemplate template, MongoDatabase database,
                                                    EmbeddedMongoServer served, Serializer snapshotSerializer,
                                                    Serializer eventSerializer, EventUpcaster upcasters) {
        MongoEventStorageEngine.Builder builder = MongoEventStorageEngine.builder()
                .mongoTemplate(template)
                // A replay reads the log in fetches of this many events, each a walk of the position index.
                .batchSize(READ_BATCH)
                .snapshotSerializer(snapshotSerializer)
                .eventSerializer(eventSerializer)
                .upcasterChain(upcasters);
        Runnable commit = served == null ? null : () -> commitOrRefuse(served::commit);
        return new IdleAwareMongoEventStorageEngine(builder, template,
                new PagedDocumentPerEventStrategy(database, commit));
    }

    /**
     * The embedded store's reads fetch a batch at a time ({@link PagedDocumentPerEventStrategy}), so a window is cheap.
     * A process that only reads the store reads windows, which requests ask for, through the requests' client.
     */
    @Bean
    @ConditionalOnProperty(name = "axon.axonserver.enabled", havingValue = "false")
    EventWindows eventWindows(EventStore eventStore, ObjectProvider<EmbeddedMongoServer> served, MongoClient client,
                              MongoProperties mongo, Serializer serializer,
                              @Qualifier("eventSerializer") Serializer eventSerializer, Configuration configuration) {
        if (served.getIfAvailable() != null) {
            return new EventStoreWindows(eventStore);
        }
        String database = mongo.getMongoClientDatabase();
        return new EventStoreWindows(embeddedEngine(DefaultMongoTemplate.builder().mongoDatabase(client, database)
                .build(), client.getDatabase(database), null, serializer, eventSerializer,
                configuration.upcasterChain()));
    }

    /**
     * With an {@link AppendSignal} (every service has one), polling only catches an event whose signal was lost or came
     * while every processor was reading older events (Axon's producer then fetches nothing).
     */
    @Bean
    @ConditionalOnProperty(name = "axon.axonserver.enabled", havingValue = "false")
    EmbeddedEventStore eventStore(EventStorageEngine storageEngine, Configuration configuration, StoreProperties store,
                                  ObjectProvider<AppendSignal> signal) {
        EmbeddedEventStore.Builder builder = EmbeddedEventStore.builder()
                .storageEngine(storageEngine)
                .messageMonitor(configuration.messageMonitor(EmbeddedEventStore.class, "eventStore"))
                .spanFactory(configuration.getComponent(org.axonframework.eventhandling.EventBusSpanFactory.class))
                .fetchDelay(store.fetchDelay().toMillis());
        AppendSignal appendSignal = signal.getIfAvailable();
        return appendSignal == null ? builder.build() : signalled(builder, appendSignal);
    }

    /** An event store that says when it has appended, and fetches when another says so ({@link AppendSignal}). */
    public static EmbeddedEventStore signalled(EmbeddedEventStore.Builder builder, AppendSignal signal) {
        return new SignalledEventStore(builder, signal).listening();
    }

}
