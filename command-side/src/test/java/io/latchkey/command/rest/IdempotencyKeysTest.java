package io.latchkey.command.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.support.events.EventWindows;
import io.latchkey.support.security.CredentialScreen;
import io.latchkey.support.security.OperatorToken;
import io.latchkey.support.web.Ids;
import io.latchkey.support.web.ProblemException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.junit.jupiter.api.Test;

/** The id a create with an Idempotency-Key gets, and what a failed create with one is answered. */
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

    /** A window of the key's stream as the store would answer it: its creation with {@code secretHash}, or nothing. */
    private static EventWindows stream(String keyId, String secretHash) {
        ApiKeyCreatedEvent created = new ApiKeyCreatedEvent(keyId, "developer", "ci", secretHash, "lk_live_…abcd",
                List.of("read"), Instant.now(), null, null);
        return (aggregateId, from, count) -> secretHash == null || !aggregateId.equals(keyId) || from > 0 || count < 1
                ? List.of() : List.of(new GenericDomainEventMessage<>("ApiKey", keyId, 0, created));
    }

    @Test
    void aFailedCreateWhoseKeyThisCreateMadeIsAnsweredWithItsVersionAndAnotherCreatesKeyAsUsed() {
        String keyId = UUID.randomUUID().toString();
        ProblemException timeout = new ProblemException(503, "timeout", "Service unavailable", "not confirmed");

        assertThat(IdempotencyKeys.ownVersion(timeout, keyId, "own-hash", false, stream(keyId, "own-hash"), KEPT))
                .isZero();
        assertThat(IdempotencyKeys.ownVersion(timeout, keyId, "own-hash", true, stream(keyId, "own-hash"), KEPT))
                .as("a quota set at creation is the key's second event").isEqualTo(1);
        assertThatThrownBy(() -> IdempotencyKeys.ownVersion(timeout, keyId, "own-hash", false,
                stream(keyId, "another-hash"), KEPT)).isInstanceOfSatisfying(ProblemException.class, used ->
                assertThat(used.problem().getType().toString()).endsWith("/" + IdempotencyKeys.USED));
        EventWindows otherFirst = (aggregateId, from, count) -> List.of(new GenericDomainEventMessage<>("ApiKey",
                keyId, 0, new ApiKeyRevokedEvent(keyId, "odd", Instant.now())));
        assertThatThrownBy(() -> IdempotencyKeys.ownVersion(timeout, keyId, "own-hash", false, otherFirst, KEPT))
                .as("a stream that begins otherwise").isInstanceOf(ProblemException.class);
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
                KEPT)).isSameAs(clash);
        assertThatThrownBy(() -> IdempotencyKeys.ownVersion(clash, keyId, "own-hash", false, unreadable, KEPT))
                .isSameAs(clash);
        assertThatThrownBy(() -> IdempotencyKeys.ownVersion(notDurable, keyId, "own-hash", false,
                stream(keyId, "own-hash"), KEPT)).as("events the store may have lost").isSameAs(notDurable);
        assertThatThrownBy(() -> IdempotencyKeys.ownVersion(clash, keyId, "own-hash", false,
                stream(keyId, "own-hash"), diskFull)).as("its own key, not made durable").isSameAs(clash);
    }
}
