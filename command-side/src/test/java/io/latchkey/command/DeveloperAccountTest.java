package io.latchkey.command;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyQuotaChangedEvent;
import io.latchkey.api.DeveloperDetailsChangedEvent;
import io.latchkey.api.DeveloperRateLimitChangedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.api.RateLimit;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import io.latchkey.support.web.RequestContext;
import org.axonframework.modelling.command.AggregateNotFoundException;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.axonframework.test.aggregate.FixtureConfiguration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Registration, and key creation through the account (which is how an ApiKey comes to exist). */
class DeveloperAccountTest {

    private static final String DEVELOPER_ID = "0b6a4f1e-0000-4000-8000-000000000001";
    private static final String KEY_ID = "6f1c2d3e-0000-4000-8000-000000000001";
    private static final String HASH = "a".repeat(64);
    private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");

    private FixtureConfiguration<DeveloperAccount> fixture;

    @BeforeEach
    void setUp() {
        fixture = new AggregateTestFixture<>(DeveloperAccount.class);
    }

    private static DeveloperRegisteredEvent registered() {
        return new DeveloperRegisteredEvent(DEVELOPER_ID, "Ada", "ada@example.com", NOW.minusSeconds(60));
    }

    private static CreateApiKeyCommand createKey(List<String> scopes, Instant expiresAt) {
        return new CreateApiKeyCommand(DEVELOPER_ID, KEY_ID, "ci", HASH, "lk_live_…aaaa", scopes, expiresAt,
                new RateLimit(10, 1, null), null, NOW);
    }

    @Test
    void canRegister() {
        fixture.givenNoPriorActivity()
                .when(new RegisterDeveloperCommand(DEVELOPER_ID, "Ada", "ada@example.com", NOW))
                .expectEvents(new DeveloperRegisteredEvent(DEVELOPER_ID, "Ada", "ada@example.com", NOW));
    }

    @Test
    void cannotRegisterTheSameDeveloperTwice() {
        fixture.given(registered())
                .when(new RegisterDeveloperCommand(DEVELOPER_ID, "Eve", "eve@example.com", NOW))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }

    @Test
    void registeredDeveloperCanCreateAKey() {
        Instant expiry = NOW.plusSeconds(3600);
        fixture.given(registered())
                .when(createKey(List.of("write", "read"), expiry))
                .expectEvents(new ApiKeyCreatedEvent(KEY_ID, DEVELOPER_ID, "ci", HASH, "lk_live_…aaaa",
                        List.of("read", "write"), NOW, expiry, new RateLimit(10, 1, null)));
    }

    @Test
    void aKeyCreatedWithAQuotaRecordsItRightAfterTheCreation() {
        fixture.given(registered())
                .when(new CreateApiKeyCommand(DEVELOPER_ID, KEY_ID, "ci", HASH, "lk_live_…aaaa", List.of("read"), null,
                        null, 1000L, NOW))
                .expectEvents(new ApiKeyCreatedEvent(KEY_ID, DEVELOPER_ID, "ci", HASH, "lk_live_…aaaa",
                        List.of("read"), NOW, null, null), new ApiKeyQuotaChangedEvent(KEY_ID, 1000L, NOW));
    }

    @Test
    void cannotCreateAKeyWithAZeroQuota() {
        fixture.given(registered())
                .when(new CreateApiKeyCommand(DEVELOPER_ID, KEY_ID, "ci", HASH, "lk_live_…aaaa", List.of("read"), null,
                        null, 0L, NOW))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }

    @Test
    void keyWithoutExpiryCanBeCreated() {
        fixture.given(registered())
                .when(createKey(List.of("read"), null))
                .expectSuccessfulHandlerExecution();
    }

    @Test
    void cannotCreateAKeyWithAnExpiryInThePast() {
        fixture.given(registered())
                .when(createKey(List.of("read"), NOW))
                .expectException(RuleViolation.class)
                .expectExceptionMessage("expiresAt must be in the future (or null for a key that never expires).")
                .expectNoEvents();
    }

    @Test
    void cannotCreateAKeyWithAnUnknownScope() {
        fixture.given(registered())
                .when(createKey(List.of("delete"), null))
                .expectException(RuleViolation.class)
                .expectNoEvents();
    }

    @Test
    void unknownDeveloperCannotCreateAKey() {
        fixture.givenNoPriorActivity()
                .when(createKey(List.of("read"), null))
                .expectException(AggregateNotFoundException.class)
                .expectNoEvents();
    }

    @Test
    void anAccountsNameAndAddressChangeAndTheSameDetailsRecordNothing() {
        fixture.given(registered())
                .when(new ChangeDeveloperDetailsCommand(DEVELOPER_ID, "Ada Lovelace", "ada@lovelace.org", NOW, null))
                .expectEvents(new DeveloperDetailsChangedEvent(DEVELOPER_ID, "Ada Lovelace", "ada@lovelace.org", NOW));
        fixture.given(registered(), new DeveloperDetailsChangedEvent(DEVELOPER_ID, "Ada L", "ada@example.com", NOW))
                .when(new ChangeDeveloperDetailsCommand(DEVELOPER_ID, "Ada L", "ada@example.com", NOW, null))
                .expectNoEvents();
    }

    @Test
    void registeredDeveloperCanSetADefaultRateLimit() {
        fixture.given(registered())
                .when(new SetDeveloperRateLimitCommand(DEVELOPER_ID, new RateLimit(100, 60, 200L), NOW, null))
                .expectEvents(new DeveloperRateLimitChangedEvent(DEVELOPER_ID, new RateLimit(100, 60, 200L), NOW));
    }

    @Test
    void aDefaultRateLimitCanBeRemoved() {
        fixture.given(registered(), new DeveloperRateLimitChangedEvent(DEVELOPER_ID, new RateLimit(5, 1, null), NOW))
                .when(new SetDeveloperRateLimitCommand(DEVELOPER_ID, null, NOW, null))
                .expectEvents(new DeveloperRateLimitChangedEvent(DEVELOPER_ID, null, NOW));
    }

    @Test
    void settingTheDefaultRateLimitItHasAppliesNoEvent() {
        fixture.given(registered(), new DeveloperRateLimitChangedEvent(DEVELOPER_ID, new RateLimit(5, 1, null), NOW))
                .when(new SetDeveloperRateLimitCommand(DEVELOPER_ID, new RateLimit(5, 1, null), NOW, null))
                .expectNoEvents()
                .expectResultMessagePayload(1L);
        fixture.given(registered())
                .when(new SetDeveloperRateLimitCommand(DEVELOPER_ID, null, NOW, null))
                .expectNoEvents()
                .expectResultMessagePayload(0L);
        // A burst equal to the limit is the bucket it already has.
        fixture.given(registered(), new DeveloperRateLimitChangedEvent(DEVELOPER_ID, new RateLimit(5, 1, null), NOW))
                .when(new SetDeveloperRateLimitCommand(DEVELOPER_ID, new RateLimit(5, 1, 5L), NOW, null))
                .expectNoEvents();
    }

    @Test
    void cannotSetADefaultRateLimitForAnUnknownDeveloper() {
        fixture.givenNoPriorActivity()
                .when(new SetDeveloperRateLimitCommand(DEVELOPER_ID, new RateLimit(5, 1, null), NOW, null))
                .expectException(AggregateNotFoundException.class)
                .expectNoEvents();
    }

    @Test
    void anotherDeveloperCannotCreateAKeyHereAndLearnsNothing() {
        fixture.given(registered())
                .when(createKey(List.of("admin"), null), Map.of(RequestContext.TENANT, "someone-else"))
                .expectException(AggregateNotFoundException.class)
                .expectNoEvents();
    }

    @Test
    void aDeveloperCanCreateAKeyForItself() {
        fixture.given(registered())
                .when(createKey(List.of("read"), null), Map.of(RequestContext.TENANT, DEVELOPER_ID))
                .expectEvents(new ApiKeyCreatedEvent(KEY_ID, DEVELOPER_ID, "ci", HASH, "lk_live_…aaaa",
                        List.of("read"), NOW, null, new RateLimit(10, 1, null)));
    }

    @Test
    void theOperatorWithoutATenantCanCreateAKeyForAnyDeveloper() {
        fixture.given(registered())
                .when(createKey(List.of("read"), null))
                .expectSuccessfulHandlerExecution();
    }

    @Test
    void aDeveloperCannotRegisterAnAccount() {
        fixture.givenNoPriorActivity()
                .when(new RegisterDeveloperCommand(DEVELOPER_ID, "Eve", "eve@example.com", NOW),
                        Map.of(RequestContext.TENANT, DEVELOPER_ID))
                .expectException(AggregateNotFoundException.class)
                .expectNoEvents();
    }
}
