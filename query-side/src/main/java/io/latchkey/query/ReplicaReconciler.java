package io.latchkey.query;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import jakarta.annotation.PreDestroy;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.stereotype.Component;

/**
 * Makes the replicated map agree with the read models again after a split-brain merge. The merge policy already keeps
 * tombstones and higher versions, but writes this member made while its copy was being refilled, or merge operations
 * Hazelcast gave up on, can leave an entry behind the event log. So every key is written again, once this member's
 * copy is refilled (the writer waits for that, at most a minute after the merge): every secret it ever had from the
 * replica projection's state, and the current secret from the {@code keys} read model where that is further ahead.
 * The writer's rule (REVOKED wins, then the higher version) makes this safe to run at any time and any number of
 * times. It runs on its own thread, retrying until it succeeds, so neither Hazelcast's merge nor event processing
 * waits for it. From the merge's start until the projection's entries are written again this writer confirms nothing
 * ({@link #settled}): the other side's members would take its confirmation as covering entries (a revocation made
 * while cut off) that have not reached them yet. Edges, and this service's own fallback and admin-key checks, answer
 * 503 until then.
 */
@Component
class ReplicaReconciler {

    private static final Logger log = LoggerFactory.getLogger(ReplicaReconciler.class);
    private static final long FIRST_RETRY_MILLIS = 500;
    private static final long LAST_RETRY_MILLIS = 30_000;

    private final HazelcastInstance hazelcast;
    private final ActiveKeyReplicaProjection projection;
    private final MongoTemplate mongo;
    private final UUID listener;
    /** Merges begun on this member, and the latest of them a finished reconciliation started after. */
    private final AtomicLong mergesBegun = new AtomicLong();
    private volatile long reconciledAfter;
    /** Held while a merge is counted and while a confirmation goes out: neither happens in the middle of the other. */
    private final Object confirming = new Object();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "latchkey-replica-reconciler");
        thread.setDaemon(true);
        return thread;
    });

    ReplicaReconciler(HazelcastInstance hazelcast, ActiveKeyReplicaProjection projection, MongoTemplate mongo) {
        this.hazelcast = hazelcast;
        this.projection = projection;
        this.mongo = mongo;
        this.listener = hazelcast.getLifecycleService().addLifecycleListener(event -> {
            LifecycleEvent.LifecycleState state = event.getState();
            if (state == LifecycleEvent.LifecycleState.MERGING) {
                // On the merge's thread, before Hazelcast empties anything: a confirmation under way goes out first,
                // into the copy the merge is about to drop.
                synchronized (confirming) {
                    mergesBegun.incrementAndGet();
                }
            } else if (state == LifecycleEvent.LifecycleState.MERGED
                    || state == LifecycleEvent.LifecycleState.MERGE_FAILED) {
                worker.execute(this::reconcileUntilDone);
            }
        });
    }

    /** Whether this writer may confirm how far it got: every merge begun here has been reconciled after. */
    boolean settled() {
        return reconciledAfter == mergesBegun.get();
    }

    /** Runs {@code confirmation} if {@link #settled}; no merge can begin while it runs. */
    void confirmIfSettled(Runnable confirmation) {
        synchronized (confirming) {
            if (settled()) {
                confirmation.run();
            }
        }
    }

    /**
     * Writes every entry the map lacks or holds older than the read models; returns how many were written. Both steps
     * at once, as a test runs them; after a merge they run apart ({@link #reconcileUntilDone}).
     */
    int reconcile() {
        return rewrite() + correctFromReadModel();
    }

    /** Every secret of every key from the replica projection's state, once the copy is refilled. */
    private int rewrite() {
        return projection.rewriteAll();
    }

    /** The current secret of every key from the {@code keys} read model, where that is ahead of the projection. */
    private int correctFromReadModel() {
        AtomicInteger corrected = new AtomicInteger();
        IdPages.forEach(mongo, mongo.getCollectionName(KeyView.class), KeyView.class, KeyView::keyId, IdPages.PAGE,
                view -> {
                    if (projection.reconcile(view)) {
                        corrected.incrementAndGet();
                    }
                });
        return corrected.get();
    }

    private void reconcileUntilDone() {
        long backoff = FIRST_RETRY_MILLIS;
        int rewritten = -1;
        while (true) {
            // A merge begun while this one runs needs its own: it counts only for the merges begun before it started.
            long merges = mergesBegun.get();
            try {
                if (rewritten < 0 || reconciledAfter != merges) {
                    rewritten = rewrite();
                    // The projection's entries are back, which is all its confirmations vouch for: edges may trust
                    // them again while the read model, which only catches a projection behind it, is compared (and
                    // only that is tried again should it fail).
                    reconciledAfter = merges;
                }
                log.info("Split-brain merge: reconciled the replica with the read models, {} entries rewritten",
                        rewritten + correctFromReadModel());
                return;
            } catch (RuntimeException e) {
                log.warn("Reconciling the replica after a merge failed ({}); retrying in {} ms", e.toString(), backoff);
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            backoff = Math.min(backoff * 2, LAST_RETRY_MILLIS);
        }
    }

    /** Stops with the application context: no further merges are followed, one in progress ends. */
    @PreDestroy
    void stop() {
        if (hazelcast.getLifecycleService().isRunning()) {
            hazelcast.getLifecycleService().removeLifecycleListener(listener);
        }
        worker.shutdownNow();
    }
}
