package io.latchkey.support.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.topic.ITopic;
import io.latchkey.support.store.AppendSignal;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link AppendSignal} on a topic of the replica cluster, of which every service is a member. A signal carries the
 * sender's id, so that it wakes every reader but the sender's own event store (which Axon wakes itself), even when
 * both share a member. Sent from a thread of its own: appends made while one signal waits to be sent share it.
 */
public final class HazelcastAppendSignal implements AppendSignal, AutoCloseable {

    private static final String TOPIC = "latchkey-events-appended";
    private static final Logger log = LoggerFactory.getLogger(HazelcastAppendSignal.class);

    private final ITopic<String> topic;
    private final Consumer<String> send;
    private final String id = UUID.randomUUID().toString();
    private final List<UUID> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean queued = new AtomicBoolean();
    private final ThreadPoolExecutor sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), task -> {
                Thread thread = new Thread(task, "latchkey-append-signal");
                thread.setDaemon(true);
                return thread;
            }, new ThreadPoolExecutor.DiscardPolicy());

    public HazelcastAppendSignal(HazelcastInstance hazelcast) {
        this(hazelcast.<String>getTopic(TOPIC));
    }

    private HazelcastAppendSignal(ITopic<String> topic) {
        this(topic, topic::publish);
    }

    /** With {@code send} in place of the topic's publish, so that a test can hold a signal while it is being sent. */
    HazelcastAppendSignal(ITopic<String> topic, Consumer<String> send) {
        this.topic = topic;
        this.send = send;
    }

    @Override
    public void appended() {
        if (queued.compareAndSet(false, true)) {
            sender.execute(this::send);
        }
    }

    private void send() {
        // Cleared before sending: an append from here on queues a signal of its own, sent after this one.
        queued.set(false);
        try {
            send.accept(id);
        } catch (RuntimeException notSent) {
            // A member shutting down or cut off: the readers' next poll finds the events.
            log.debug("Append signal not sent: {}", notSent.toString());
        }
    }

    @Override
    public void onAppended(Runnable wake) {
        listeners.add(topic.addMessageListener(message -> {
            if (!id.equals(message.getMessageObject())) {
                wake.run();
            }
        }));
    }

    @Override
    public void close() {
        sender.shutdownNow();
        for (UUID listener : listeners) {
            try {
                topic.removeMessageListener(listener);
            } catch (RuntimeException memberGone) {
                // The member is shutting down, and its listeners with it.
                log.debug("Append signal listener not removed: {}", memberGone.toString());
            }
        }
    }
}
