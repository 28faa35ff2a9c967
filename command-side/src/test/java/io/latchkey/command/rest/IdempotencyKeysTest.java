package io.latchkey.command.rest;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.support.security.CredentialScreen;
import io.latchkey.support.security.OperatorToken;
import io.latchkey.support.web.Ids;
import io.latchkey.support.web.ProblemException;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The id a create with an Idempotency-Key gets, and what a failed create with one is answered. */
class IdempotencyKeysTest {

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
}
