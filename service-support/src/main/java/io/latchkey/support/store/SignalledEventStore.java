package io.latchkey.support.store;

import java.util.List;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;

/**
 * Axon's embedded event store, which wakes its event producer when this process appends, also woken when another
 * process says it has appended ({@link AppendSignal}), and saying so itself after each append. Without it a tracking
 * processor finds another process's events only by polling the store, which delays them by half the fetch delay on
 * average and wakes every reader many times a second while nothing happens.
 */
final class SignalledEventStore extends EmbeddedEventStore {

    private final AppendSignal signal;

    SignalledEventStore(Builder builder, AppendSignal signal) {
        super(builder);
        this.signal = signal;
    }

    /** Starts listening to other processes; apart from the constructor, so that no signal meets a half-built store. */
    SignalledEventStore listening() {
        signal.onAppended(this::fetchNow);
        return this;
    }

    /** After this process's events are committed (a command's: on disk), where Axon wakes its own producer. */
    @Override
    protected void afterCommit(List<? extends EventMessage<?>> events) {
        super.afterCommit(events);
        signal.appended();
    }

    /** What a local append does to the producer: fetch now if it is waiting, or once more when its fetch ends. */
    private void fetchNow() {
        super.afterCommit(List.of());
    }
}
