package io.latchkey.command;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyExpiredEvent;
import io.latchkey.api.ApiKeyQuotaChangedEvent;
import io.latchkey.api.ApiKeyRateLimitChangedEvent;
import io.latchkey.api.ApiKeyRenewedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.ApiKeyScopesChangedEvent;
import io.latchkey.api.RateLimit;
import io.latchkey.api.TimeBounds;
import io.latchkey.support.web.RequestContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.modelling.command.AggregateNotFoundException;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.axonframework.test.aggregate.FixtureConfiguration;
import org.axonframework.test.matchers.Matchers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The key lifecycle rules, one behaviour per test. Creation is covered in {@link DeveloperAccountTest}. */
class ApiKeyTest {

    private static final String KEY_ID = "6f1c2d3e-0000-4000-8000-000000000001";
    private static final String HASH_A = "a".repeat(64);
    private static final String HASH_B = "b".repeat(64);
    private static final String HASH_C = "c".repeat(64);
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Instant EXPIRY = T0.plus(Duration.ofDays(30));
    private static final Instant LATER = T0.plus(Duration.ofDays(1));

    private FixtureConfiguration<ApiKey> fixture;

    @BeforeEach
    void setUp() {
        fixture = new AggregateTestFixture<>(ApiKey.class);
    }

    private static ApiKeyCreatedEvent created() {
        return new ApiKeyCreatedEvent(KEY_ID, "dev-1", "ci", HASH_A, "lk_live_…aaaa", List.of("read"), T0, EXPIRY, null);
    }

    private static ApiKeyRevokedEvent revoked() {
        return new ApiKeyRevokedEvent(KEY_ID, "leaked", T0.plusSeconds(60));
    }

    @Test
    void canChangeScopesWhichAreStoredCanonically() {
        fixture.given(created())
                .when(new ChangeApiKeyScopesCommand(KEY_ID, List.of("write", "orders:read", "write"), LATER, null))
                .expectEvents(new ApiKeyScopesChangedEvent(KEY_ID, List.of("orders:read", "write"), LATER))
                .expectResultMessagePayload(1L);
    }

    @Test
    void cannotGrantAnUnknownScope() {
        fixture.given(created())
                .when(new ChangeApiKeyScopesCommand(KEY_ID, List.of("delete"), LATER, null))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }

    @Test
    void rotationKeepsThePreviousSecretUntilTheGraceEnds() {
        Instant graceEnds = LATER.plusSeconds(300);
        fixture.given(created())
                .when(new RotateApiKeyCommand(KEY_ID, HASH_B, "lk_live_…bbbb", graceEnds, LATER, null))
                .expectEvents(new ApiKeyRotatedEvent(KEY_ID, HASH_B, "lk_live_…bbbb", HASH_A, graceEnds, LATER,
                        graceEnds))
                .expectResultMessagePayload(new KeyRotation(1, graceEnds));
    }

    @Test
    void rotationDuringAGracePeriodDropsTheOlderSecret() {
        Instant firstGraceEnds = LATER.plusSeconds(3600);
        Instant secondRotation = LATER.plusSeconds(60);
        fixture.given(created(),
                        new ApiKeyRotatedEvent(KEY_ID, HASH_B, "lk_live_…bbbb", HASH_A, firstGraceEnds, LATER,
                                firstGraceEnds))
                .when(new RotateApiKeyCommand(KEY_ID, HASH_C, "lk_live_…cccc", secondRotation, secondRotation, null))
                .expectEvents(new ApiKeyRotatedEvent(KEY_ID, HASH_C, "lk_live_…cccc", HASH_B, secondRotation,
                        secondRotation, secondRotation));
    }

    @Test
    void aRotationSentAgainLeavesTheSecretInUseItsGracePeriodAndARevocationStopsEveryLiveSecret() {
        Instant firstGraceEnds = LATER.plusSeconds(3600);
        Instant retriedAt = LATER.plusSeconds(5);
        ApiKeyRotatedEvent first = new ApiKeyRotatedEvent(KEY_ID, HASH_B, "lk_live_…bbbb", HASH_A, firstGraceEnds,
                LATER, firstGraceEnds);
        ApiKeyRotatedEvent retried = new ApiKeyRotatedEvent(KEY_ID, HASH_C, "lk_live_…cccc", HASH_B,
                retriedAt.plusSeconds(3600), retriedAt, retriedAt.plusSeconds(3600));
        fixture.given(created(), first)
                .when(new RotateApiKeyCommand(KEY_ID, HASH_C, "lk_live_…cccc", retriedAt.plusSeconds(3600), retriedAt,
                        null))
                .expectEvents(retried);
        fixture.given(created(), first, retried)
                .when(new RevokeApiKeyCommand(KEY_ID, "leaked", retriedAt.plusSeconds(10), null))
                .expectResultMessagePayload(new KeyRevocation(KEY_ID, 3, List.of(HASH_C, HASH_B, HASH_A)));
    }

    /** A renewal ends a rotated-out secret with the expiry it replaces; a revocation after that has it no more. */
    @Test
    void aSecretARenewalEndedIsNoLongerRevokedAsLive() {
        Instant graceEnds = LATER.plusSeconds(3600);
        Instant shortened = LATER.plusSeconds(60);
        fixture.given(created(), new ApiKeyRotatedEvent(KEY_ID, HASH_B, "lk_live_…bbbb", HASH_A, graceEnds, LATER,
                        graceEnds), new ApiKeyRenewedEvent(KEY_ID, shortened, LATER.plusSeconds(5)),
                        new ApiKeyRenewedEvent(KEY_ID, null, LATER.plusSeconds(120)))
                .when(new RevokeApiKeyCommand(KEY_ID, "leaked", LATER.plusSeconds(130), null))
                .expectResultMessagePayload(new KeyRevocation(KEY_ID, 4, List.of(HASH_B)));
    }

    @Test
    void aRotationSaysThePreviousSecretWorksNoLongerThanTheKey() {
        fixture.given(created())
                .when(new RotateApiKeyCommand(KEY_ID, HASH_B, "lk_live_…bbbb", EXPIRY.plusSeconds(3600), LATER, null))
                .expectEvents(new ApiKeyRotatedEvent(KEY_ID, HASH_B, "lk_live_…bbbb", HASH_A, EXPIRY, LATER, EXPIRY))
                .expectResultMessagePayload(new KeyRotation(1, EXPIRY));
    }

    @Test
    void anExpiredKeyIsRenewedBeforeItIsRotated() {
        fixture.given(created())
                .when(new RotateApiKeyCommand(KEY_ID, HASH_B, "lk_live_…bbbb", EXPIRY, EXPIRY, null))
                .expectException(RuleViolation.class)
                .expectExceptionMessage("The key has expired; renew it before rotating.")
                .expectNoEvents();
        fixture.given(created(), new ApiKeyExpiredEvent(KEY_ID, EXPIRY))
                .when(new RotateApiKeyCommand(KEY_ID, HASH_B, "lk_live_…bbbb", LATER, LATER, null))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }

    @Test
    void cannotRotateWithAGracePeriodEndingInThePast() {
        fixture.given(created())
                .when(new RotateApiKeyCommand(KEY_ID, HASH_B, "lk_live_…bbbb", LATER.minusSeconds(1), LATER, null))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }

    @Test
    void canRenew() {
        Instant newExpiry = EXPIRY.plus(Duration.ofDays(90));
        fixture.given(created())
                .when(new RenewApiKeyCommand(KEY_ID, newExpiry, LATER, null))
                .expectEvents(new ApiKeyRenewedEvent(KEY_ID, newExpiry, LATER))
                .expectResultMessagePayload(1L);
    }

    @Test
    void renewingWithoutAnExpiryMakesAnExpiredKeyActiveForGood() {
        Instant renewedAt = EXPIRY.plusSeconds(60);
        fixture.given(created(), new ApiKeyExpiredEvent(KEY_ID, EXPIRY))
                .when(new RenewApiKeyCommand(KEY_ID, null, renewedAt, null))
                .expectEvents(new ApiKeyRenewedEvent(KEY_ID, null, renewedAt));
        fixture.given(created(), new ApiKeyExpiredEvent(KEY_ID, EXPIRY),
                        new ApiKeyRenewedEvent(KEY_ID, null, renewedAt))
                .when(new ExpireApiKeyCommand(KEY_ID, EXPIRY.plus(Duration.ofDays(3650))))
                .expectNoEvents();
    }

    @Test
    void cannotRenewIntoThePast() {
        fixture.given(created())
                .when(new RenewApiKeyCommand(KEY_ID, LATER.minusSeconds(1), LATER, null))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }

    @Test
    void cannotRenewPastWhatTheStoresCanHold() {
        fixture.given(created())
                .when(new RenewApiKeyCommand(KEY_ID, TimeBounds.END, LATER, null))
                .expectExceptionMessage("expiresAt must be before the year 10000.")
                .expectNoEvents();
    }

    @Test
    void renewalReactivatesAnExpiredKey() {
        Instant renewedAt = EXPIRY.plusSeconds(60);
        Instant newExpiry = EXPIRY.plus(Duration.ofDays(30));
        // An ACTIVE key with a due expiry is the only kind that expires, so expiring again proves reactivation.
        fixture.given(created(), new ApiKeyExpiredEvent(KEY_ID, EXPIRY),
                        new ApiKeyRenewedEvent(KEY_ID, newExpiry, renewedAt))
                .when(new ExpireApiKeyCommand(KEY_ID, newExpiry))
                .expectEvents(new ApiKeyExpiredEvent(KEY_ID, newExpiry));
    }

    @Test
    void canRenewAnExpiredKey() {
        Instant renewedAt = EXPIRY.plusSeconds(60);
        Instant newExpiry = EXPIRY.plus(Duration.ofDays(30));
        fixture.given(created(), new ApiKeyExpiredEvent(KEY_ID, EXPIRY))
                .when(new RenewApiKeyCommand(KEY_ID, newExpiry, renewedAt, null))
                .expectEvents(new ApiKeyRenewedEvent(KEY_ID, newExpiry, renewedAt));
    }

    @Test
    void aRenewalOfAKeyPastItsExpiryThatTheSweepHasNotReachedRecordsTheExpiryFirst() {
        Instant renewedAt = EXPIRY.plusSeconds(2);
        Instant newExpiry = EXPIRY.plus(Duration.ofDays(30));
        // The edges refused the key from its expiry on; its history says so however the sweep was timed.
        fixture.given(created())
                .when(new RenewApiKeyCommand(KEY_ID, newExpiry, renewedAt, null))
                .expectEvents(new ApiKeyExpiredEvent(KEY_ID, EXPIRY),
                        new ApiKeyRenewedEvent(KEY_ID, newExpiry, renewedAt))
                .expectResultMessagePayload(2L);
        // By the system, as the sweep records it, not by whoever renewed the key.
        fixture.given(created())
                .when(new RenewApiKeyCommand(KEY_ID, newExpiry, renewedAt, null))
                .expectEventsMatching(Matchers.exactSequenceOf(
                        Matchers.<EventMessage<?>>predicate(message ->
                                message.getPayload() instanceof ApiKeyExpiredEvent
                                        && ApiKey.EXPIRY_ACTOR.equals(message.getMetaData().get(RequestContext.ACTOR))),
                        Matchers.<EventMessage<?>>predicate(message ->
                                message.getPayload() instanceof ApiKeyRenewedEvent
                                        && !message.getMetaData().containsKey(RequestContext.ACTOR)),
                        Matchers.andNoMore()));
    }

    @Test
    void anyChangeToAKeyPastItsExpiryRecordsTheExpiryFirst() {
        Instant at = EXPIRY.plusSeconds(2);
        fixture.given(created())
                .when(new ChangeApiKeyScopesCommand(KEY_ID, List.of("write"), at, null))
                .expectEvents(new ApiKeyExpiredEvent(KEY_ID, EXPIRY),
                        new ApiKeyScopesChangedEvent(KEY_ID, List.of("write"), at));
        fixture.given(created())
                .when(new RevokeApiKeyCommand(KEY_ID, "done", at, null))
                .expectEvents(new ApiKeyExpiredEvent(KEY_ID, EXPIRY), new ApiKeyRevokedEvent(KEY_ID, "done", at));
        fixture.given(created())
                .when(new SetApiKeyQuotaCommand(KEY_ID, 10L, at, null))
                .expectEvents(new ApiKeyExpiredEvent(KEY_ID, EXPIRY), new ApiKeyQuotaChangedEvent(KEY_ID, 10L, at));
    }

    @Test
    void aChangeToWhatTheKeyAlreadyHasAppliesNoEventAndAnswersTheVersionItHas() {
        RateLimit limit = new RateLimit(100, 60, null);
        fixture.given(created(), new ApiKeyRateLimitChangedEvent(KEY_ID, limit, T0),
                        new ApiKeyQuotaChangedEvent(KEY_ID, 500L, T0))
                .when(new ChangeApiKeyScopesCommand(KEY_ID, List.of("read", "read"), LATER, null))
                .expectNoEvents()
                .expectResultMessagePayload(2L);
        fixture.given(created(), new ApiKeyRateLimitChangedEvent(KEY_ID, limit, T0))
                .when(new SetApiKeyRateLimitCommand(KEY_ID, new RateLimit(100, 60, null), LATER, null))
                .expectNoEvents()
                .expectResultMessagePayload(1L);
        // A burst equal to the limit is the bucket the key already has.
        fixture.given(created(), new ApiKeyRateLimitChangedEvent(KEY_ID, limit, T0))
                .when(new SetApiKeyRateLimitCommand(KEY_ID, new RateLimit(100, 60, 100L), LATER, null))
                .expectNoEvents();
        fixture.given(created(), new ApiKeyQuotaChangedEvent(KEY_ID, 500L, T0))
                .when(new SetApiKeyQuotaCommand(KEY_ID, 500L, LATER, null))
                .expectNoEvents();
        fixture.given(created())
                .when(new SetApiKeyQuotaCommand(KEY_ID, null, LATER, null))
                .expectNoEvents()
                .expectResultMessagePayload(0L);
        fixture.given(created())
                .when(new RenewApiKeyCommand(KEY_ID, EXPIRY, LATER, null))
                .expectNoEvents();
        // A different value is a change, and so is a limit set again after it was lifted.
        fixture.given(created(), new ApiKeyRateLimitChangedEvent(KEY_ID, limit, T0),
                        new ApiKeyRateLimitChangedEvent(KEY_ID, null, T0))
                .when(new SetApiKeyRateLimitCommand(KEY_ID, limit, LATER, null))
                .expectEvents(new ApiKeyRateLimitChangedEvent(KEY_ID, limit, LATER));
    }

    @Test
    void canSetTheRateLimit() {
        RateLimit limit = new RateLimit(100, 60, 150L);
        fixture.given(created())
                .when(new SetApiKeyRateLimitCommand(KEY_ID, limit, LATER, null))
                .expectEvents(new ApiKeyRateLimitChangedEvent(KEY_ID, limit, LATER));
    }

    @Test
    void canSetAndRemoveTheMonthlyQuota() {
        fixture.given(created())
                .when(new SetApiKeyQuotaCommand(KEY_ID, 50_000L, LATER, null))
                .expectEvents(new ApiKeyQuotaChangedEvent(KEY_ID, 50_000L, LATER));
        fixture.given(created(), new ApiKeyQuotaChangedEvent(KEY_ID, 50_000L, LATER))
                .when(new SetApiKeyQuotaCommand(KEY_ID, null, LATER, null))
                .expectEvents(new ApiKeyQuotaChangedEvent(KEY_ID, null, LATER));
    }

    @Test
    void cannotSetAQuotaOfNoRequests() {
        fixture.given(created())
                .when(new SetApiKeyQuotaCommand(KEY_ID, 0L, LATER, null))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }

    @Test
    void cannotSetTheQuotaOfARevokedKey() {
        fixture.given(created(), revoked())
                .when(new SetApiKeyQuotaCommand(KEY_ID, 10L, LATER, null))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }

    @Test
    void canRevoke() {
        fixture.given(created())
                .when(new RevokeApiKeyCommand(KEY_ID, "leaked", LATER, null))
                .expectEvents(new ApiKeyRevokedEvent(KEY_ID, "leaked", LATER))
                .expectResultMessagePayload(new KeyRevocation(KEY_ID, 1, List.of(HASH_A)));
    }

    @Test
    void revokingARotatedKeyNamesItsCurrentAndItsLastRotatedOutSecret() {
        fixture.given(created(),
                        new ApiKeyRotatedEvent(KEY_ID, HASH_B, "lk_live_…bbbb", HASH_A, LATER, T0.plusSeconds(10),
                                T0.plusSeconds(10)),
                        new ApiKeyRotatedEvent(KEY_ID, HASH_C, "lk_live_…cccc", HASH_B, LATER, T0.plusSeconds(20),
                                T0.plusSeconds(20)))
                .when(new RevokeApiKeyCommand(KEY_ID, "leaked", LATER, null))
                .expectResultMessagePayload(new KeyRevocation(KEY_ID, 3, List.of(HASH_C, HASH_B)));
    }

    @Test
    void cannotRevokeTwice() {
        fixture.given(created(), revoked())
                .when(new RevokeApiKeyCommand(KEY_ID, "again", LATER, null))
                .expectException(RuleViolation.class)
                .expectExceptionMessage("The key is revoked and cannot be changed.")
                .expectNoEvents();
    }

    @Test
    void cannotChangeScopesOfRevokedKey() {
        fixture.given(created(), revoked())
                .when(new ChangeApiKeyScopesCommand(KEY_ID, List.of("admin"), LATER, null))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }

    @Test
    void cannotRotateRevokedKey() {
        fixture.given(created(), revoked())
                .when(new RotateApiKeyCommand(KEY_ID, HASH_B, "lk_live_…bbbb", LATER, LATER, null))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }

    @Test
    void cannotRenewRevokedKey() {
        fixture.given(created(), revoked())
                .when(new RenewApiKeyCommand(KEY_ID, EXPIRY.plusSeconds(1), LATER, null))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }

    @Test
    void cannotSetRateLimitOfRevokedKey() {
        fixture.given(created(), revoked())
                .when(new SetApiKeyRateLimitCommand(KEY_ID, new RateLimit(10, 1, null), LATER, null))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }

    @Test
    void expiresWhenDue() {
        fixture.given(created())
                .when(new ExpireApiKeyCommand(KEY_ID, EXPIRY))
                .expectEvents(new ApiKeyExpiredEvent(KEY_ID, EXPIRY));
    }

    @Test
    void doesNotExpireBeforeItsExpiry() {
        fixture.given(created())
                .when(new ExpireApiKeyCommand(KEY_ID, EXPIRY.minusMillis(1)))
                .expectSuccessfulHandlerExecution()
                .expectNoEvents();
    }

    @Test
    void expiringAnExpiredKeyChangesNothing() {
        fixture.given(created(), new ApiKeyExpiredEvent(KEY_ID, EXPIRY))
                .when(new ExpireApiKeyCommand(KEY_ID, EXPIRY.plusSeconds(5)))
                .expectSuccessfulHandlerExecution()
                .expectNoEvents();
    }

    @Test
    void revokedKeyDoesNotExpire() {
        fixture.given(created(), revoked())
                .when(new ExpireApiKeyCommand(KEY_ID, EXPIRY.plusSeconds(5)))
                .expectSuccessfulHandlerExecution()
                .expectNoEvents();
    }

    @Test
    void keyWithoutExpiryNeverExpires() {
        fixture.given(new ApiKeyCreatedEvent(KEY_ID, "dev-1", "ci", HASH_A, "lk_live_…aaaa", List.of("read"), T0,
                        null, null))
                .when(new ExpireApiKeyCommand(KEY_ID, Instant.MAX))
                .expectSuccessfulHandlerExecution()
                .expectNoEvents();
    }

    @Test
    void anotherDevelopersChangeFailsAsIfTheKeyDidNotExist() {
        fixture.given(created())
                .when(new RevokeApiKeyCommand(KEY_ID, "mine now", LATER, null), Map.of(RequestContext.TENANT, "dev-2"))
                .expectException(AggregateNotFoundException.class)
                .expectNoEvents();
    }

    @Test
    void anotherDevelopersChangeFailsAsNotFoundBeforeAnyRuleCouldAnswer() {
        fixture.given(created(), revoked())
                .when(new ChangeApiKeyScopesCommand(KEY_ID, List.of("delete"), LATER, null),
                        Map.of(RequestContext.TENANT, "dev-2"))
                .expectException(AggregateNotFoundException.class)
                .expectNoEvents();
    }

    @Test
    void anotherDevelopersChangeWithAnOlderExpectedVersionFailsAsNotFoundNotAsAConflict() {
        fixture.given(created(), new ApiKeyScopesChangedEvent(KEY_ID, List.of("write"), LATER))
                .when(new RenewApiKeyCommand(KEY_ID, EXPIRY.plusSeconds(60), LATER, 0L),
                        Map.of(RequestContext.TENANT, "dev-2"))
                .expectException(AggregateNotFoundException.class)
                .expectNoEvents();
    }

    @Test
    void theOwningDeveloperCanChangeItsKey() {
        fixture.given(created())
                .when(new RevokeApiKeyCommand(KEY_ID, "rotating out", LATER, null),
                        Map.of(RequestContext.TENANT, "dev-1"))
                .expectEvents(new ApiKeyRevokedEvent(KEY_ID, "rotating out", LATER));
    }

    @Test
    void theOperatorWithoutATenantCanChangeAnyKey() {
        fixture.given(created())
                .when(new RevokeApiKeyCommand(KEY_ID, "compliance", LATER, null))
                .expectEvents(new ApiKeyRevokedEvent(KEY_ID, "compliance", LATER));
    }
}
