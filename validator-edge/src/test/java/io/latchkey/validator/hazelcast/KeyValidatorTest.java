package io.latchkey.validator.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.testing.SettableClock;
import io.latchkey.validator.Authentication;
import io.latchkey.validator.Decision;
import io.latchkey.validator.Decision.Status;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.KeyValidatorBuilder;
import io.latchkey.validator.ratelimit.LocalQuotaLimiter;
import io.latchkey.validator.ratelimit.LocalRateLimiter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The validator reading a real Hazelcast member's replica, with a controllable clock. */
class KeyValidatorTest {

    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    private static final KeyFormat FORMAT = KeyFormat.forEnvironment("test");
    private static final KeyHasher HASHER = KeyHasher.sha256();

    private static TestCluster cluster;
    private static ReplicaWriter writer;
    private static final SettableClock time = new SettableClock(NOW);
    private static KeyValidator validator;
    private static KeyValidator limited;
    private static final LocalQuotaLimiter quotas = LocalQuotaLimiter.create();

    @BeforeAll
    static void startMember() {
        cluster = new TestCluster();
        HazelcastInstance member = cluster.startMember();
        writer = ReplicaWriter.of(member);
        validator = KeyValidator.builder().replica(HazelcastKeyReplica.of(member)).hasher(HASHER).clock(time).build();
        limited = KeyValidator.builder().replica(HazelcastKeyReplica.of(member)).hasher(HASHER).clock(time)
                .rateLimiter(LocalRateLimiter.withTicker(() -> 0)).quotaLimiter(quotas).build();
    }

    @AfterAll
    static void stopMember() {
        cluster.close();
    }

    private static String issue(ActiveKeyEntry entry) {
        String key = FORMAT.generate();
        writer.write(HASHER.hash(key), entry);
        return key;
    }

    private static ActiveKeyEntry entry(List<String> scopes, Instant expiresAt, Instant secretValidUntil, KeyStatus status) {
        return new ActiveKeyEntry("key-1", "dev-1", scopes, expiresAt, secretValidUntil, status, 0, null);
    }

    private static String issueLimited(String keyId, KeyStatus status) throws InterruptedException {
        return issueLimited(keyId, status, 1, 0);
    }

    private static String issueLimited(String keyId, KeyStatus status, long perHour, long monthlyQuota)
            throws InterruptedException {
        String key = issue(new ActiveKeyEntry(keyId, "dev-1", List.of("read"), null, null, status, 0,
                new RateLimit(perHour, 3600, null), 0, monthlyQuota));
        // Waited for through the unlimited validator: a VALID answer from the limited one would take the token.
        for (int i = 0; i < 500 && validator.validate(key, null).status() == Decision.Status.NOT_FOUND; i++) {
            Thread.sleep(10);
        }
        return key;
    }

    @Test
    void onlyAKeyThatIsOtherwiseValidTakesATokenAndThenIsRateLimited() throws InterruptedException {
        String key = issueLimited("limited-1", KeyStatus.ACTIVE);
        for (int i = 0; i < 5; i++) {
            Decision forbidden = limited.validate(key, "write");
            assertThat(forbidden.status()).isEqualTo(Decision.Status.INSUFFICIENT_SCOPE);
            assertThat(forbidden.rateLimit()).isNull();
        }
        Decision allowed = limited.validate(key, "read");
        assertThat(allowed.status()).isEqualTo(Decision.Status.VALID);
        assertThat(allowed.rateLimit().remaining()).isZero();

        Decision refused = limited.validate(key, "read");

        assertThat(refused.status()).isEqualTo(Decision.Status.RATE_LIMITED);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.unauthenticated()).isFalse();
        assertThat(refused.keyId()).isEqualTo("limited-1");
        assertThat(refused.rateLimit().retryAfterSeconds()).isEqualTo(3600);
        assertThat(limited.validate(key, "write").status()).isEqualTo(Decision.Status.INSUFFICIENT_SCOPE);
    }

    @Test
    void aKeyOverItsQuotaIsRefusedByItUntilTheMonthEndsWithoutTakingTokens() throws InterruptedException {
        String key = issueLimited("quota-1", KeyStatus.ACTIVE, 2, 1);
        Decision first = limited.validate(key, "read");
        assertThat(first.status()).isEqualTo(Decision.Status.VALID);
        assertThat(first.quota().remaining()).isZero();

        for (int i = 0; i < 3; i++) {
            Decision overQuota = limited.validate(key, "read");
            assertThat(overQuota.status()).isEqualTo(Decision.Status.QUOTA_EXCEEDED);
            assertThat(overQuota.allowed()).isFalse();
            assertThat(overQuota.unauthenticated()).isFalse();
            assertThat(overQuota.quota().resetsAt()).isEqualTo(Instant.parse("2026-07-01T00:00:00Z"));
            // The bucket's second token stays there: a refusal by the quota never turns into the rate limit's.
            assertThat(overQuota.rateLimit()).isNull();
        }
    }

    @Test
    void theQuotaCountsOnlyRequestsTheRateLimitAdmitted() throws InterruptedException {
        String key = issueLimited("quota-2", KeyStatus.ACTIVE, 1, 2);
        assertThat(limited.validate(key, "read").quota().remaining()).isEqualTo(1);

        Decision rateLimited = limited.validate(key, "read");

        assertThat(rateLimited.status()).isEqualTo(Decision.Status.RATE_LIMITED);
        assertThat(rateLimited.quota()).isNull();
        assertThat(quotas.consume("quota-2", 2, time.instant()).used()).as("the first request and this one")
                .isEqualTo(2);
    }

    @Test
    void aRevokedKeyIsRevokedNeverRateLimited() throws InterruptedException {
        String key = issueLimited("limited-2", KeyStatus.REVOKED);
        for (int i = 0; i < 3; i++) {
            assertThat(limited.validate(key, "read").status()).isEqualTo(Decision.Status.REVOKED);
        }
    }

    @Test
    void liveKeyWithTheScopeIsValidAndCarriesItsIdentity() {
        String key = issue(entry(List.of("write"), null, null, KeyStatus.ACTIVE));
        Decision decision = validator.validate(key, "read");
        assertThat(decision.status()).isEqualTo(Status.VALID);
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.keyId()).isEqualTo("key-1");
        assertThat(decision.developerId()).isEqualTo("dev-1");
        assertThat(decision.scopes()).containsExactly("write");
    }

    @Test
    void noRequiredScopeChecksAuthenticationOnly() {
        String key = issue(entry(List.of("orders:read"), null, null, KeyStatus.ACTIVE));
        assertThat(validator.validate(key, null).status()).isEqualTo(Status.VALID);
    }

    @Test
    void aBlankRequiredScopeIsRefusedRatherThanTakenForNone() {
        String key = issue(entry(List.of("orders:read"), null, null, KeyStatus.ACTIVE));
        // A scope read from a setting left empty: authorization must not quietly turn into authentication.
        for (String blank : List.of("", " ", " \t")) {
            assertThatThrownBy(() -> validator.validate(key, blank)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("null checks authentication alone");
            assertThatThrownBy(() -> validator.validateAsync(key, blank)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void missingScopeIsInsufficientScope() {
        String key = issue(entry(List.of("read"), null, null, KeyStatus.ACTIVE));
        assertThat(validator.validate(key, "write").status()).isEqualTo(Status.INSUFFICIENT_SCOPE);
        assertThat(validator.validate(key, "orders:read").status()).isEqualTo(Status.VALID);
        String orders = issue(entry(List.of("orders:read"), null, null, KeyStatus.ACTIVE));
        assertThat(validator.validate(orders, "invoices:read").status()).isEqualTo(Status.INSUFFICIENT_SCOPE);
    }

    @Test
    void malformedKeysAreRejectedWithoutALookup() {
        String key = issue(entry(List.of("read"), null, null, KeyStatus.ACTIVE));
        String tampered = key.substring(0, 20) + (key.charAt(20) == 'a' ? 'b' : 'a') + key.substring(21);
        assertThat(validator.validate(tampered, "read").status()).isEqualTo(Status.MALFORMED);
        assertThat(validator.validate(null, "read").status()).isEqualTo(Status.MALFORMED);
        assertThat(validator.validate("", null).status()).isEqualTo(Status.MALFORMED);
        assertThat(validator.validate(tampered, "read").keyId()).isNull();
    }

    @Test
    void unknownKeyIsNotFound() {
        assertThat(validator.validate(FORMAT.generate(), "read").status()).isEqualTo(Status.NOT_FOUND);
    }

    @Test
    void authenticationCarriesTheEntryItWasDecidedFromAndTakesNoToken() throws InterruptedException {
        String key = issueLimited("authenticated-1", KeyStatus.ACTIVE);
        for (int i = 0; i < 3; i++) {
            Authentication authentication = limited.authenticate(key, "read");
            assertThat(authentication.decision().status()).isEqualTo(Status.VALID);
            assertThat(authentication.entry().rateLimit()).isEqualTo(new RateLimit(1, 3600, null));
        }
        assertThat(limited.validate(key, "read").status()).as("the one token is still there").isEqualTo(Status.VALID);
        assertThat(limited.authenticate(FORMAT.generate(), "read").entry()).as("a key the replica lacks").isNull();
    }

    @Test
    void revokedKeyIsRevoked() {
        String key = issue(entry(List.of("admin"), null, null, KeyStatus.REVOKED));
        assertThat(validator.validate(key, "read").status()).isEqualTo(Status.REVOKED);
    }

    @Test
    void expiryIsCheckedAgainstTheClockNotOnlyWhenAnEventArrives() {
        String key = issue(entry(List.of("read"), NOW.plusSeconds(60), null, KeyStatus.ACTIVE));
        assertThat(validator.validate(key, "read").status()).isEqualTo(Status.VALID);
        time.set(NOW.plusSeconds(60));
        try {
            assertThat(validator.validate(key, "read").status()).isEqualTo(Status.EXPIRED);
        } finally {
            time.set(NOW);
        }
    }

    @Test
    void aKeyTheCommandSideRecordedExpiredIsExpiredWhateverThisValidatorsClockSays() {
        // A validator whose clock runs slow must not admit what the fleet has expired.
        String recorded = issue(entry(List.of("read"), NOW.plusSeconds(3600), null, KeyStatus.EXPIRED));
        assertThat(validator.validate(recorded, "read").status()).isEqualTo(Status.EXPIRED);
    }

    @Test
    void rotatedSecretWorksUntilItsGraceEndsThenNeverAndItsUseIsCountedApart() {
        String key = issue(entry(List.of("read"), null, NOW.plusSeconds(30), KeyStatus.ACTIVE));
        Decision inGrace = validator.validate(key, "read");
        assertThat(inGrace.status()).isEqualTo(Status.VALID);
        assertThat(inGrace.secretValidUntil()).as("tells when to switch").isEqualTo(NOW.plusSeconds(30));
        assertThat(inGrace.usageOutcome()).as("counted apart from the new secret's")
                .isEqualTo(Decision.VALID_PREVIOUS_SECRET);
        String current = issue(entry(List.of("read"), null, null, KeyStatus.ACTIVE));
        assertThat(validator.validate(current, "read").secretValidUntil()).isNull();
        assertThat(validator.validate(current, "read").usageOutcome()).isEqualTo("valid");
        assertThat(validator.validate(key, "write").usageOutcome()).isEqualTo("insufficient_scope");
        time.set(NOW.plusSeconds(30));
        try {
            // Superseded, not revoked: the key lives on, and its usage must not read as a revoked key's traffic.
            assertThat(validator.validate(key, "read").status()).isEqualTo(Status.SUPERSEDED);
            assertThat(validator.validate(key, "read").usageOutcome()).isEqualTo("superseded");
        } finally {
            time.set(NOW);
        }
    }

    @Test
    void aReplacedSecretTellsTheKeysExpiryWhenARenewalBroughtItBeforeTheGracesEnd() {
        String key = issue(entry(List.of("read"), NOW.plusSeconds(10), NOW.plusSeconds(600), KeyStatus.ACTIVE));
        assertThat(validator.validate(key, "read").secretValidUntil()).isEqualTo(NOW.plusSeconds(10));
        String longLived = issue(entry(List.of("read"), NOW.plusSeconds(900), NOW.plusSeconds(600), KeyStatus.ACTIVE));
        assertThat(validator.validate(longLived, "read").secretValidUntil()).isEqualTo(NOW.plusSeconds(600));
    }

    @Test
    void aDifferentPepperFindsNothing() {
        String key = issue(entry(List.of("read"), null, null, KeyStatus.ACTIVE));
        KeyValidator peppered = KeyValidator.builder().replica(validator.replica())
                .hasher(KeyHasher.forPepper("another-pepper-0123456789")).build();
        assertThat(peppered.validate(key, "read").status()).isEqualTo(Status.NOT_FOUND);
    }

    @Test
    void anInvalidRequiredScopeIsTheCallersError() {
        String key = issue(entry(List.of("read"), null, null, KeyStatus.ACTIVE));
        assertThatThrownBy(() -> validator.validate(key, "delete")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRequiredScopeOfControlCharactersIsRefusedRatherThanTakenForNone() {
        String key = issue(entry(List.of("read"), null, null, KeyStatus.ACTIVE));
        // Character.isWhitespace takes U+001C..U+001F for blanks; a fuzzed scope header of them once got a 200.
        assertThatThrownBy(() -> validator.validate(key, "\u001c\t\u001f"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unauthenticatedCoversExactlyTheOutcomesThatMustLookAlike() {
        assertThat(List.of(Status.values()).stream()
                .filter(s -> new Decision(s, null, null, null, null).unauthenticated()))
                .containsExactlyInAnyOrder(Status.MALFORMED, Status.NOT_FOUND, Status.REVOKED, Status.EXPIRED,
                        Status.SUPERSEDED);
    }

    @Test
    void aValidatorNeedsAReplica() {
        assertThatThrownBy(() -> KeyValidator.builder().build()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aBoundedValidatorIsCurrentOnlyWhileAWriterConfirmedWithinTheBound() throws InterruptedException {
        KeyValidator bounded = KeyValidator.builder().replica(validator.replica()).hasher(HASHER)
                .clock(fixedAt(NOW)).maxLag(Duration.ofSeconds(5)).build();
        assertThat(bounded.isCurrent()).as("nothing published: incomplete").isFalse();

        writer.publishCaughtUp(NOW.minusSeconds(4));
        awaitAsOf(NOW.minusSeconds(4));
        assertThat(bounded.lag()).isEqualTo(Duration.ofSeconds(4));
        // The replica reads the published size again at most every 10 ms.
        for (int i = 0; i < 100 && !bounded.isCurrent(); i++) {
            Thread.sleep(10);
        }
        assertThat(bounded.isCurrent()).isTrue();

        KeyValidator later = KeyValidator.builder().replica(validator.replica()).hasher(HASHER)
                .clock(fixedAt(NOW.plusSeconds(2))).maxLag(Duration.ofSeconds(5)).build();
        assertThat(later.lag()).isEqualTo(Duration.ofSeconds(6));
        assertThat(later.isCurrent()).as("6 s behind a 5 s bound").isFalse();
        assertThat(KeyValidator.builder().replica(validator.replica()).clock(fixedAt(NOW.plusSeconds(3600)))
                .maxLag(null).build().isCurrent()).as("unbounded: complete is enough").isTrue();

        KeyValidatorBuilder unsaid = KeyValidator.builder().replica(validator.replica()).hasher(HASHER);
        assertThat(unsaid.clock(fixedAt(NOW.plusSeconds(6))).build().isCurrent()).as("10 s behind").isTrue();
        assertThat(unsaid.clock(fixedAt(NOW.plusMillis(6_001))).build().isCurrent())
                .as("built without a bound, a member cut off from the writers must not go on admitting keys revoked "
                        + "since: 10,001 ms behind").isFalse();
    }

    @Test
    void theLagBoundMustBePositive() {
        assertThatThrownBy(() -> KeyValidator.builder().maxLag(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void awaitAsOf(Instant expected) throws InterruptedException {
        for (int i = 0; i < 300 && !expected.equals(validator.replica().asOf()); i++) {
            Thread.sleep(10);
        }
        assertThat(validator.replica().asOf()).isEqualTo(expected);
    }

    private static Clock fixedAt(Instant instant) {
        return Clock.fixed(instant, ZoneOffset.UTC);
    }
}
