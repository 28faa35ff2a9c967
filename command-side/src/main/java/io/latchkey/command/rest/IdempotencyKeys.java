package io.latchkey.command.rest;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyQuotaChangedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.command.CommandFailureCodes;
import io.latchkey.command.KeyRotation;
import io.latchkey.support.events.EventWindows;
import io.latchkey.support.security.Caller;
import io.latchkey.support.security.CredentialScreen;
import io.latchkey.support.web.Ids;
import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.Problems;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.UUID;
import org.axonframework.eventhandling.DomainEventMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key created with an {@code Idempotency-Key} header gets an id derived from its developer and that header, so a
 * create sent again (its answer lost) names the same key, which the event store takes only once: the retry is
 * answered 409 with the key's id instead of making a second key whose secret no one holds. The header is not kept;
 * it names one key for good. The new key's secret is in the first answer alone, so a retry cannot return it. The id
 * is a hash of the header that anyone may see, so the header must not be a secret (credentials are refused).
 *
 * <p>A rotate with the header marks its event's metadata ({@value #ROTATION}) with a hash of the key and the header,
 * and one sent again that finds the mark among the key's events rotates nothing and is answered 409 likewise: a
 * second rotation would end the first one's secret, which only its lost answer held.
 */
final class IdempotencyKeys {

    private static final Logger log = LoggerFactory.getLogger(IdempotencyKeys.class);

    static final String HEADER = "Idempotency-Key";
    static final String USED = "idempotency-key-used";
    private static final int MAX_LENGTH = 255;
    /** The metadata of a rotation made with the header: {@link #rotationMark} of its key and that header. */
    static final String ROTATION = "rotationIdempotencyKey";
    private static final byte[] CONTEXT = "latchkey:create-key\0".getBytes(StandardCharsets.UTF_8);
    private static final byte[] ROTATION_CONTEXT = "latchkey:rotate-key\0".getBytes(StandardCharsets.UTF_8);
    /** Events read at once while looking for a rotation's mark. */
    private static final int WINDOW = 1_024;
    private static final URI NOT_DURABLE = URI.create(Problems.TYPE_BASE + "not-durable");

    private IdempotencyKeys() {
    }

    /**
     * The id of the key that {@code developerId}'s create with {@code header} makes: an RFC 9562 version 8 UUID from
     * SHA-256, in the form of every server-made id.
     */
    static String keyId(String developerId, String header, CredentialScreen screen) {
        return derived(CONTEXT, developerId, header, screen);
    }

    /** The mark of the key {@code keyId}'s rotation with {@code header}, in the same form. */
    static String rotationMark(String keyId, String header, CredentialScreen screen) {
        return derived(ROTATION_CONTEXT, keyId, header, screen);
    }

    private static String derived(byte[] context, String scope, String header, CredentialScreen screen) {
        // A comma too: the header sent twice reaches here as its two values joined by one.
        if (header.isEmpty() || header.length() > MAX_LENGTH
                || header.chars().anyMatch(c -> c < 0x20 || c > 0x7e || c == ',')) {
            throw new ProblemException(400, "invalid-idempotency-key", "Bad request", HEADER + " must be one value of"
                    + " 1 to " + MAX_LENGTH + " printable ASCII characters other than a comma.");
        }
        if (screen.appearsIn(header)) {
            throw new ProblemException(400, "invalid-idempotency-key", "Bad request", HEADER
                    + " must not hold an API key or a Latchkey token.");
        }
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(context);
            sha256.update(scope.getBytes(StandardCharsets.UTF_8));
            sha256.update((byte) 0);
            ByteBuffer digest = ByteBuffer.wrap(sha256.digest(header.getBytes(StandardCharsets.US_ASCII)));
            long high = digest.getLong() & ~0xF000L | 0x8000L;
            long low = digest.getLong() & ~(0xC000_0000_0000_0000L) | 0x8000_0000_0000_0000L;
            return new UUID(high, low).toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether the key {@code keyId} exists, for a create sent again: answered from the store in both modes (a clash
     * left to the append comes back from Axon Server's connector without a code), as a window of one event (a stream
     * read in part would hold an Axon Server call open). Another tenant's caller is first answered what the account
     * would answer it, and one without a credential what every command answers it; two creates at once may both get
     * past this and meet at the append ({@link #ownVersion}).
     */
    static boolean made(String keyId, String developerId, Caller caller, EventWindows events) {
        if (caller.equals(Caller.ANONYMOUS)) {
            throw ProblemException.unauthorized();
        }
        if (caller.developerId() != null && !caller.developerId().equals(developerId)) {
            throw ProblemException.notFound(Ids.NO_SUCH_DEVELOPER);
        }
        try {
            return !events.read(keyId, 0, 1).isEmpty();
        } catch (RuntimeException unreadable) {
            log.warn("Could not read the event store for a create with an {}; answered 503", HEADER, unreadable);
            throw new ProblemException(503, "store-unavailable", "Service unavailable",
                    "The event store could not be read; the key was not created.", 1);
        }
    }

    /** The answer to a create whose key exists: the key made before, without its secret. */
    static ProblemException used(String keyId) {
        ProblemException used = ProblemException.conflict(USED, "A key was created with this " + HEADER
                + " already: " + keyId + ". Its secret was only in that answer; rotate the key for a new one.");
        used.problem().setProperty("keyId", keyId);
        return used;
    }

    /**
     * After a create with the header failed: the version of its key when this create made it after all (with Axon
     * Server, a command not confirmed in time that took effect; in the embedded store, an append that failed after
     * storing its events), so that its secret is answered rather than lost; 409 {@link #used} when another create
     * with the same header made it (two at once meet at the append, which the embedded store reports as a version
     * conflict and Axon Server's connector without a code); else the failure as it was, also when the store cannot be
     * read or said it could not keep the events (they may be gone after a restart).
     *
     * @param madeWithQuota whether this create set a quota, which its key's second event records (and which must be
     *                      there too, or the failure stands): the key's version is then that event's
     * @param durable       makes what the store holds durable before a 2xx is answered, as every command's answer
     *                      waits for; throws when it cannot (the embedded store's readers see events before they are
     *                      on disk)
     */
    static long ownVersion(RuntimeException failure, String keyId, String secretHash, boolean madeWithQuota,
                           EventWindows events, Runnable durable) {
        if (failure instanceof ProblemException problem && NOT_DURABLE.equals(problem.problem().getType())) {
            throw failure;
        }
        List<DomainEventMessage<?>> made;
        try {
            made = events.read(keyId, 0, 2);
        } catch (RuntimeException unreadable) {
            log.warn("Could not read the event store after a failed create with an {}", HEADER, unreadable);
            throw failure;
        }
        if (made.isEmpty()) {
            throw failure;
        }
        if (!(made.get(0).getPayload() instanceof ApiKeyCreatedEvent created)
                || !created.secretHash().equals(secretHash)) {
            throw used(keyId);
        }
        boolean quotaStored = made.size() > 1 && made.get(1).getPayload() instanceof ApiKeyQuotaChangedEvent;
        if (madeWithQuota && !quotaStored) {
            // Stored in part: the answer would name a quota the key does not have.
            throw failure;
        }
        try {
            durable.run();
        } catch (RuntimeException notKept) {
            log.warn("A key made by a create not confirmed in time could not be made durable; the failure stands",
                    notKept);
            throw failure;
        }
        return made.get(madeWithQuota ? 1 : 0).getSequenceNumber();
    }

    /**
     * For a rotate with the header: the key's version as read, for the rotation to expect (two such rotates at once
     * cannot both pass this and both rotate), or null when there is no such key (the command answers that). 409
     * {@link #rotated} when a rotation of the key carries {@code mark}. Another tenant's caller is first answered
     * what the command would answer it, so that the 409 tells nothing of another's key.
     */
    static Long unrotated(String keyId, String mark, Caller caller, EventWindows events) {
        if (caller.equals(Caller.ANONYMOUS)) {
            throw ProblemException.unauthorized();
        }
        Rotations found;
        try {
            found = rotations(keyId, mark, events);
        } catch (RuntimeException unreadable) {
            log.warn("Could not read the event store for a rotate with an {}; answered 503", HEADER, unreadable);
            throw new ProblemException(503, "store-unavailable", "Service unavailable",
                    "The event store could not be read; the key was not rotated.", 1);
        }
        if (found.owner() == null) {
            return null;
        }
        if (caller.developerId() != null && !caller.developerId().equals(found.owner())) {
            throw ProblemException.notFound(Ids.NO_SUCH_KEY);
        }
        if (found.marked() != null) {
            throw rotated(keyId);
        }
        return found.lastVersion();
    }

    /** The answer to a rotate whose rotation was made before: its secret is not shown again. */
    static ProblemException rotated(String keyId) {
        ProblemException used = ProblemException.conflict(USED, "Key " + keyId + " was rotated with this " + HEADER
                + " already; its new secret was only in that answer. Rotate with another " + HEADER
                + " for a new one.");
        used.problem().setProperty("keyId", keyId);
        return used;
    }

    /**
     * After a rotate with the header failed: the rotation when this rotate made it after all (a command not confirmed
     * in time that took effect), so that its secret is answered rather than lost; 409 {@link #rotated} when another
     * rotate with the header made it first (two at once: one finds the key changed since it read it); 409 for a key
     * changed meanwhile by another change, when the version expected was the one read and not the client's
     * {@code If-Match}; else the failure as it was, as {@link #ownVersion} leaves it.
     */
    static KeyRotation ownRotation(RuntimeException failure, String keyId, String mark, String secretHash,
                                   boolean expectedAsRead, EventWindows events, Runnable durable) {
        if (failure instanceof ProblemException problem && NOT_DURABLE.equals(problem.problem().getType())) {
            throw failure;
        }
        Rotations found;
        try {
            found = rotations(keyId, mark, events);
        } catch (RuntimeException unreadable) {
            log.warn("Could not read the event store after a failed rotate with an {}", HEADER, unreadable);
            throw failure;
        }
        if (found.marked() == null) {
            if (expectedAsRead && failure instanceof ProblemException problem
                    && problem.problem().getStatus() == 412) {
                throw ProblemException.conflict(CommandFailureCodes.VERSION_CONFLICT,
                        "The key was changed concurrently; read it again and retry.");
            }
            throw failure;
        }
        ApiKeyRotatedEvent rotation = (ApiKeyRotatedEvent) found.marked().getPayload();
        if (!rotation.secretHash().equals(secretHash)) {
            throw rotated(keyId);
        }
        try {
            durable.run();
        } catch (RuntimeException notKept) {
            log.warn("A rotation not confirmed in time could not be made durable; the failure stands", notKept);
            throw failure;
        }
        return new KeyRotation(found.marked().getSequenceNumber(), rotation.previousSecretValidUntil());
    }

    /**
     * What a rotate with the header reads of its key: the developer its first event names (null when the stream is
     * no key's), and either the rotation carrying {@code mark} or, when none does, the key's last version.
     */
    private record Rotations(String owner, long lastVersion, DomainEventMessage<?> marked) {
    }

    /** The key's whole stream, a window at a time: a stream read in part would hold an Axon Server call open. */
    private static Rotations rotations(String keyId, String mark, EventWindows events) {
        List<DomainEventMessage<?>> window = events.read(keyId, 0, WINDOW);
        if (window.isEmpty() || !(window.get(0).getPayload() instanceof ApiKeyCreatedEvent created)) {
            return new Rotations(null, -1, null);
        }
        long last = -1;
        while (!window.isEmpty()) {
            for (DomainEventMessage<?> event : window) {
                if (event.getPayload() instanceof ApiKeyRotatedEvent
                        && mark.equals(event.getMetaData().get(ROTATION))) {
                    return new Rotations(created.developerId(), event.getSequenceNumber(), event);
                }
                last = event.getSequenceNumber();
            }
            window = events.read(keyId, last + 1, WINDOW);
        }
        return new Rotations(created.developerId(), last, null);
    }
}
