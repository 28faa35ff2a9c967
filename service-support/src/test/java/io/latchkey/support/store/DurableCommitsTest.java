package io.latchkey.support.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.latchkey.support.web.ProblemException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.axonframework.commandhandling.CommandBus;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.SimpleCommandBus;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.commandhandling.gateway.DefaultCommandGateway;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVStoreException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** Real Axon command handling on the embedded store over TCP, with the durable commit interceptor. */
@ExtendWith(OutputCaptureExtension.class)
class DurableCommitsTest {

    @TempDir
    Path dataDir;

    private ServedStore store;
    private IdleAwareMongoEventStorageEngine engine;
    private EmbeddedEventStore events;
    private final List<String> steps = new CopyOnWriteArrayList<>();
    private final AtomicLong sequences = new AtomicLong();

    /**
     * A bus whose "append" command appends one event to stream {@code thing} and, with "nested", runs another, through
     * the services' engine, which commits the store when it starts a block of positions.
     */
    private CommandGateway gateway(Runnable durableCommit) {
        return gateway(durableCommit, () -> store.server().commit());
    }

    private CommandGateway gateway(Runnable durableCommit, Runnable positionsCommit) {
        store = ServedStore.start(dataDir);
        engine = new IdleAwareMongoEventStorageEngine(store.engine(), store.template(),
                new PagedDocumentPerEventStrategy(store.database(),
                        () -> StoreAutoConfiguration.commitOrRefuse(positionsCommit)));
        events = EmbeddedEventStore.builder().storageEngine(engine).build();
        SimpleCommandBus bus = SimpleCommandBus.builder().build();
        bus.registerHandlerInterceptor(StoreAutoConfiguration.durableCommits(durableCommit));
        bus.subscribe(String.class.getName(), command -> {
            long sequence = sequences.getAndIncrement();
            events.publish(new GenericDomainEventMessage<>("Thing", "thing", sequence, "event-" + sequence));
            // As the revocation fast path does: a step registered while the command is handled.
            CurrentUnitOfWork.get().root().onCommit(u -> steps.add("fast path sees " + appended() + " events"));
            if (command.getPayload().equals("nested")) {
                bus.dispatch(GenericCommandMessage.asCommandMessage("append"));
            }
            return sequence;
        });
        return DefaultCommandGateway.builder().commandBus(bus).build();
    }

    private long appended() {
        return engine.readEvents("thing").asStream().count();
    }

    @AfterEach
    void stop() {
        if (events != null) {
            events.shutDown();
        }
        if (store != null) {
            store.close();
        }
    }

    @Test
    void theCommitFollowsTheAppendAndWhatTheHandlerRegistered() {
        CommandGateway commands = gateway(() -> {
            steps.add("durable commit sees " + appended() + " events");
            store.server().commit();
        });

        assertThat((Long) commands.sendAndWait("append")).isEqualTo(0L);

        assertThat(steps).containsExactly("fast path sees 1 events", "durable commit sees 1 events");
    }

    @Test
    void commandsNestedInOneUnitOfWorkShareOneCommit() {
        CommandGateway commands = gateway(() -> {
            steps.add("durable commit sees " + appended() + " events");
            store.server().commit();
        });

        commands.sendAndWait("nested");

        assertThat(steps).filteredOn(step -> step.startsWith("durable")).containsExactly("durable commit sees 2 events");
    }

    @Test
    void aCommandWhoseBlockOfPositionsCannotBeWrittenIsRefusedNotAcknowledged() {
        AtomicBoolean diskFull = new AtomicBoolean();
        CommandGateway commands = gateway(() -> store.server().commit(), () -> {
            if (diskFull.get()) {
                throw new IllegalStateException("No space left on device");
            }
            store.server().commit();
        });
        diskFull.set(true);

        assertThatThrownBy(() -> commands.sendAndWait("append"))
                .isInstanceOfSatisfying(ProblemException.class, e -> {
                    assertThat(e.problem().getStatus()).isEqualTo(503);
                    assertThat(e.problem().getDetail()).doesNotContain("No space");
                });
        assertThat(appended()).isZero();
    }

    @Test
    void aCommandWhoseCommitFailsIsRefusedNotAcknowledged() {
        CommandGateway commands = gateway(() -> {
            throw new IllegalStateException("No space left on device");
        });

        assertThatThrownBy(() -> commands.sendAndWait("append"))
                .isInstanceOfSatisfying(ProblemException.class, e -> {
                    assertThat(e.problem().getStatus()).isEqualTo(503);
                    assertThat(e.problem().getDetail()).doesNotContain("No space");
                });
    }

    /** The cause as H2 wraps it: a write's IOException, inside the writer thread's failure, inside the commit's. */
    @Test
    void aRefusedCommitsLineNamesTheDisksOwnReason(CapturedOutput output) throws Exception {
        IOException full;
        try (FileChannel device = FileChannel.open(Path.of("/dev/full"), StandardOpenOption.WRITE)) {
            device.write(ByteBuffer.allocate(4096));
            throw new AssertionError("/dev/full took a write");
        } catch (IOException e) {
            full = e;
        }
        MVStoreException failedWrite = DataUtils.newMVStoreException(DataUtils.ERROR_WRITING_FAILED,
                "Writing to {0} failed; length {1} at {2}", "store.mv", 32768, 2478080, full);
        MVStoreException commit = DataUtils.newMVStoreException(DataUtils.ERROR_WRITING_FAILED,
                failedWrite.toString(), new ExecutionException(failedWrite));

        assertThatThrownBy(() -> StoreAutoConfiguration.commitOrRefuse(() -> {
            throw commit;
        })).isInstanceOf(ProblemException.class);

        assertThat(output.getAll()).contains("could not write a command's events to disk (" + full.getMessage()
                + "); the command is refused");
    }

    /** The write that closed the store was logged, and the process that serves it logs that it exits. */
    @Test
    void commitsRefusedByAStoreClosedAlreadyAddNoLine(CapturedOutput output) {
        MVStoreException closed = DataUtils.newMVStoreException(DataUtils.ERROR_CLOSED, "This store is closed");

        assertThatThrownBy(() -> StoreAutoConfiguration.commitOrRefuse(() -> {
            throw closed;
        })).isInstanceOfSatisfying(ProblemException.class,
                e -> assertThat(e.problem().getStatus()).isEqualTo(503));

        assertThat(output.getAll()).doesNotContain("could not write");
    }
}
