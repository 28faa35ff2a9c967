package io.latchkey.command.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyQuotaChangedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.support.events.EventWindows;
import io.latchkey.support.security.Caller;
import io.latchkey.support.security.CredentialScreen;
import io.latchkey.support.security.OperatorToken;
import io.latchkey.support.web.Ids;
import io.latchkey.support.web.ProblemException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.messaging.MetaData;
import org.junit.jupiter.api.Test;

/** The id a create with an Idempotency-Key gets, a rotate's mark, and what a failed create or rotate is answered. */
class IdempotencyKeysTest {

    /** The store's writes made durable. */
    private static final Runnable KEPT = () -> { };
    private static final CredentialScreen SCREEN = CredentialScreen.of(
            OperatorToken.resolve("idempotency-test-operator-token-0123456789", null, false), null);

    @Test
    void theIdIsAVersion8UuidOfTheFormOfEveryIdNamedByTheDeveloperAndTheHeader() {
        String developer = UUID.randomUUID().toString();
        String keyId = IdempotencyKeys.keyId(developer, "deploy-42", SCREEN);

        assertThat(Ids.valid(keyId)).isTrue();
        assertThat(UUID.fromString(keyId).version()).isEqualTo(8);
        assertThat(UUID.fromString(keyId).variant()).isEqualTo(2);
        assertThat(IdempotencyKeys.keyId(developer, "deploy-42", SCREEN)).isEqualTo(keyId);
        assertThat(IdempotencyKeys.keyId(developer, "deploy-43", SCREEN)).isNotEqualTo(keyId);
        assertThat(IdempotencyKeys.keyId(UUID.randomUUID().toString(), "deploy-42", SCREEN)).isNotEqualTo(keyId);
    }

    @Test
    void theAnswerToAKeyMadeBeforeNamesItWithoutASecret() {
        String keyId = UUID.randomUUID().toString();

        ProblemException used = IdempotencyKeys.used(keyId);

        assertThat(used.problem().getStatus()).isEqualTo(409);
        assertThat(used.problem().getType().toString()).endsWith("/" + IdempotencyKeys.USED);
        assertThat(used.problem().getProperties()).containsOnlyKeys("keyId").containsEntry("keyId", keyId);
        assertThat(used.problem().getDetail()).contains(keyId).contains("rotate");
    }

    /**
     * A window of the key's stream as the store would answer it: its creation with {@code secretHash} and, when
     * {@code quota}, the quota set with it; nothing for a null hash.
     */
    private static EventWindows stream(String keyId, String secretHash, boolean quota) {
        List<DomainEventMessage<?>> stored = secretHash == null ? List.of() : quota
                ? List.of(created(keyId, secretHash), new GenericDomainEventMessage<>("ApiKey", keyId, 1,
                        new ApiKeyQuotaChangedEvent(keyId, 100L, Instant.now())))
                : List.of(created(keyId, secretHash));
        return (aggregateId, from, count) -> !aggregateId.equals(keyId) || from > 0 ? List.of()
                : stored.subList(0, Math.min(count, stored.size()));
    }

    private static EventWindows stream(String keyId, String secretHash) {
        return stream(keyId, secretHash, false);
    }

    private static DomainEventMessage<?> created(String keyId, String secretHash) {
        return new GenericDomainEventMessage<>("ApiKey", keyId, 0, new ApiKeyCreatedEvent(keyId, "developer", "ci",
                secretHash, "lk_live_…abcd", List.of("read"), Instant.now(), null, null));
    }

    /** A store whose writes may not be made durable here: the answer must not wait for them. */
    private static final Runnable NOT_ASKED = () -> {
        throw new AssertionError("made durable on a path that answers no 2xx");
    };

    @Test
    void aFailedCreateWhoseKeyThisCreateMadeIsAnsweredWithItsVersionAndAnotherCreatesKeyAsUsed() {
        String keyId = UUID.randomUUID().toString();
        ProblemException timeout = new ProblemException(503, "timeout", "Service unavailable", "not confirmed");

        assertThat(IdempotencyKeys.ownVersion(timeout, keyId, "own-hash", false, stream(keyId, "own-hash"), KEPT))
                .isZero();
        assertThat(IdempotencyKeys.ownVersion(timeout, keyId, "own-hash", true, stream(keyId, "own-hash", true),
                KEPT)).as("a quota set at creation is the key's second event").isEqualTo(1);
        assertThatThrownBy(() -> IdempotencyKeys.ownVersion(timeout, keyId, "own-hash", true,
                stream(keyId, "own-hash", false), NOT_ASKED)).as("its quota not stored").isSameAs(timeout);
        assertThatThrownBy(() -> IdempotencyKeys.ownVersion(timeout, keyId, "own-hash", false,
                stream(keyId, "another-hash"), NOT_ASKED)).isInstanceOfSatisfying(ProblemException.class, used ->
                assertThat(used.problem().getType().toString()).endsWith("/" + IdempotencyKeys.USED));
        EventWindows otherFirst = (aggregateId, from, count) -> List.of(new GenericDomainEventMessage<>("ApiKey",
                keyId, 0, new ApiKeyRevokedEvent(keyId, "odd", Instant.now())));
        assertThatThrownBy(() -> IdempotencyKeys.ownVersion(timeout, keyId, "own-hash", false, otherFirst, NOT_ASKED))
                .as("a stream that begins otherwise").isInstanceOfSatisfying(ProblemException.class, used ->
                        assertThat(used.problem().getType().toString()).endsWith("/" + IdempotencyKeys.USED));
    }

    @Test
    void aFailedCreateStandsWhenItsKeyIsNotThereCannotBeReadOrWasNotKept() {
        String keyId = UUID.randomUUID().toString();
        RuntimeException clash = new IllegalStateException("refused append");
        ProblemException notDurable = new ProblemException(503, "not-durable", "Service unavailable", "not on disk");
        EventWindows unreadable = (aggregateId, from, count) -> {
            throw new IllegalStateException("store down");
        };

        Runnable diskFull = () -> {
            throw new IllegalStateException("commit failed");
        };

        assertThatThrownBy(() -> IdempotencyKeys.ownVersion(clash, keyId, "own-hash", false, stream(keyId, null),
                NOT_ASKED)).isSameAs(clash);
        assertThatThrownBy(() -> IdempotencyKeys.ownVersion(clash, keyId, "own-hash", false, unreadable, NOT_ASKED))
                .isSameAs(clash);
        assertThatThrownBy(() -> IdempotencyKeys.ownVersion(notDurable, keyId, "own-hash", false,
                stream(keyId, "own-hash"), NOT_ASKED)).as("events the store may have lost").isSameAs(notDurable);
        assertThatThrownBy(() -> IdempotencyKeys.ownVersion(clash, keyId, "own-hash", false,
                stream(keyId, "own-hash"), diskFull)).as("its own key, not made durable").isSameAs(clash);
    }

    @Test
    void aRotationsMarkIsNamedByTheKeyAndTheHeaderAndIsNoKeysId() {
        String keyId = UUID.randomUUID().toString();
        String mark = IdempotencyKeys.rotationMark(keyId, "rot-1", SCREEN);

        assertThat(IdempotencyKeys.rotationMark(keyId, "rot-1", SCREEN)).isEqualTo(mark);
        assertThat(IdempotencyKeys.rotationMark(keyId, "rot-2", SCREEN)).isNotEqualTo(mark);
        assertThat(IdempotencyKeys.rotationMark(UUID.randomUUID().toString(), "rot-1", SCREEN)).isNotEqualTo(mark);
        assertThat(IdempotencyKeys.keyId(keyId, "rot-1", SCREEN)).isNotEqualTo(mark);
        assertThatThrownBy(() -> IdempotencyKeys.rotationMark(keyId, "one,two", SCREEN))
                .isInstanceOfSatisfying(ProblemException.class, refused ->
                        assertThat(refused.problem().getStatus()).isEqualTo(400));
    }

    /** A key of {@code owner}'s made, then rotated to {@code secretHash} with {@code mark} (none for null). */
    private static EventWindows rotatedStream(String keyId, String owner, String secretHash, String mark) {
        List<DomainEventMessage<?>> stored = List.of(
                new GenericDomainEventMessage<>("ApiKey", keyId, 0, new ApiKeyCreatedEvent(keyId, owner, "ci",
                        "first-hash", "lk_live_…abcd", List.of("read"), Instant.now(), null, null)),
                new GenericDomainEventMessage<>("ApiKey", keyId, 1, new ApiKeyRotatedEvent(keyId, secretHash,
                        "lk_live_…efgh", "first-hash", Instant.now(), Instant.now(), Instant.now()),
                        mark == null ? MetaData.emptyInstance() : MetaData.with(IdempotencyKeys.ROTATION, mark)));
        // One event a window, so that the mark is looked for past the first.
        return (aggregateId, from, count) -> !aggregateId.equals(keyId) || from >= stored.size() ? List.of()
                : stored.subList((int) from, (int) from + 1);
    }

    @Test
    void aRotateSentAgainFindsItsMarkAndIsAnsweredUsedOnlyToTheKeysOwnDeveloperOrTheOperator() {
        String keyId = UUID.randomUUID().toString();
        String mark = IdempotencyKeys.rotationMark(keyId, "rot-1", SCREEN);
        Caller owner = Caller.developer("dev-a", "admin-a");
        EventWindows marked = rotatedStream(keyId, "dev-a", "new-hash", mark);

        for (Caller caller : List.of(owner, Caller.OPERATOR)) {
            assertThatThrownBy(() -> IdempotencyKeys.unrotated(keyId, mark, caller, marked))
                    .isInstanceOfSatisfying(ProblemException.class, used -> {
                        assertThat(used.problem().getStatus()).isEqualTo(409);
                        assertThat(used.problem().getType().toString()).endsWith("/" + IdempotencyKeys.USED);
                        assertThat(used.problem().getProperties()).containsEntry("keyId", keyId);
                    });
        }
        assertThatThrownBy(() -> IdempotencyKeys.unrotated(keyId, mark, Caller.developer("dev-b", "admin-b"), marked))
                .as("another developer's key").isInstanceOfSatisfying(ProblemException.class, notFound ->
                        assertThat(notFound.problem().getStatus()).isEqualTo(404));
        assertThat(IdempotencyKeys.unrotated(keyId, mark, owner, rotatedStream(keyId, "dev-a", "new-hash", null)))
                .as("rotated without the mark: the version to expect").isEqualTo(1);
        assertThat(IdempotencyKeys.unrotated(keyId, mark, owner, stream(keyId, null))).as("no such key").isNull();
    }

    @Test
    void aFailedRotateWhoseRotationThisRotateMadeIsAnsweredWithItAndAnothersAsUsed() {
        String keyId = UUID.randomUUID().toString();
        String mark = IdempotencyKeys.rotationMark(keyId, "rot-1", SCREEN);
        ProblemException timeout = new ProblemException(503, "timeout", "Service unavailable", "not confirmed");
        ProblemException stale = new ProblemException(412, "version-conflict", "Precondition failed", "changed");

        assertThat(IdempotencyKeys.ownRotation(timeout, keyId, mark, "own-hash", true,
                rotatedStream(keyId, "dev-a", "own-hash", mark), KEPT).version()).isEqualTo(1);
        assertThatThrownBy(() -> IdempotencyKeys.ownRotation(stale, keyId, mark, "own-hash", true,
                rotatedStream(keyId, "dev-a", "another-hash", mark), NOT_ASKED)).as("two at once")
                .isInstanceOfSatisfying(ProblemException.class, used ->
                        assertThat(used.problem().getType().toString()).endsWith("/" + IdempotencyKeys.USED));
        assertThatThrownBy(() -> IdempotencyKeys.ownRotation(stale, keyId, mark, "own-hash", true,
                rotatedStream(keyId, "dev-a", "another-hash", null), NOT_ASKED))
                .as("another change meanwhile, no If-Match sent").isInstanceOfSatisfying(ProblemException.class,
                        raced -> assertThat(raced.problem().getStatus()).isEqualTo(409));
        assertThatThrownBy(() -> IdempotencyKeys.ownRotation(stale, keyId, mark, "own-hash", false,
                rotatedStream(keyId, "dev-a", "another-hash", null), NOT_ASKED)).as("the client's If-Match")
                .isSameAs(stale);
        assertThatThrownBy(() -> IdempotencyKeys.ownRotation(timeout, keyId, mark, "own-hash", true,
                rotatedStream(keyId, "dev-a", "own-hash", mark), () -> {
                    throw new IllegalStateException("commit failed");
                })).as("its own rotation, not made durable").isSameAs(timeout);
    }
}
