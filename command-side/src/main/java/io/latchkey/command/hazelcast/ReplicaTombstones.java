package io.latchkey.command.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.command.KeyRevocation;
import io.latchkey.validator.hazelcast.ReplicaWriter;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.messaging.InterceptorChain;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Writes a revoked key's tombstones into the replicated map as soon as the revocation is appended, instead of waiting
 * for the query side's projection to read the event from the store and then find the write done. Only tombstones take
 * this path: REVOKED always wins a merge and carries the revocation event's own sequence number as version, so the
 * projection's identical write is a no-op and nothing written here can ever admit a key. Best effort, off the request
 * thread: if this member's copy is still filling, or the queue is full, the projection writes the same entries moments
 * later.
 *
 * <p>Queued in the unit of work's commit phase: after the append (a revocation that fails to append writes nothing),
 * and in the embedded mode before the store's disk commit, which readers of the store do not wait for either.
 */
@Component
public class ReplicaTombstones implements MessageHandlerInterceptor<CommandMessage<?>>, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReplicaTombstones.class);

    private final ReplicaWriter writer;
    private final ThreadPoolExecutor thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(10_000), task -> {
                Thread tombstones = new Thread(task, "latchkey-revocation-tombstones");
                tombstones.setDaemon(true);
                return tombstones;
            }, new ThreadPoolExecutor.DiscardPolicy());

    ReplicaTombstones(HazelcastInstance hazelcast) {
        this.writer = ReplicaWriter.of(hazelcast);
    }

    @Override
    public Object handle(UnitOfWork<? extends CommandMessage<?>> unitOfWork, InterceptorChain chain)
            throws Exception {
        Object result = chain.proceed();
        if (result instanceof KeyRevocation revocation) {
            // Registered after the handler ran, so the commit phase, which calls handlers newest first, runs this
            // after Axon Server's append commit (registered while appending) and before the embedded store's disk
            // commit (registered before the handler). A revocation nested in a unit of work that rolled back while
            // its root commits was never appended.
            unitOfWork.root().onCommit(u -> {
                if (!unitOfWork.isRolledBack()) {
                    thread.execute(() -> write(revocation));
                }
            });
        }
        return result;
    }

    private void write(KeyRevocation revocation) {
        try {
            for (String hex : revocation.secretHashes()) {
                KeyHash hash = new KeyHash(hex);
                ActiveKeyEntry current = writer.read(hash);
                // An entry the projection has not written yet (a key revoked the moment it was made) is left to it.
                if (current != null && current.keyId().equals(revocation.keyId())) {
                    writer.write(hash, current.revoked(revocation.version()));
                }
            }
        } catch (RuntimeException e) {
            log.warn("Early tombstones for key {} not written ({}); the projection writes them",
                    revocation.keyId(), e.getClass().getSimpleName());
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
