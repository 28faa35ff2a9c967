package io.latchkey.command.email;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.api.DeveloperDetailsChangedEvent;
import io.latchkey.api.DeveloperRegisteredEvent;
import io.latchkey.command.ServedTemplate;
import io.latchkey.support.events.EventStoreWindows;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.data.mongodb.core.MongoTemplate;

/** The claims over the embedded store, served over TCP as the command side uses it, checked against an event log. */
class EmailClaimsTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

    @TempDir
    Path dataDir;

    private ServedTemplate store;
    private MongoTemplate mongo;
    private final InMemoryEventStorageEngine log = new InMemoryEventStorageEngine();

    @BeforeEach
    void setUp() {
        store = ServedTemplate.start(dataDir);
        mongo = store.mongo();
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    private EmailClaims claimsAt(Instant now) {
        return new EmailClaims(mongo, new EventStoreWindows(log), Clock.fixed(now, ZoneOffset.UTC));
    }

    private void registered(String developerId, String email) {
        append(developerId, new DeveloperRegisteredEvent(developerId, "Ada", email, T0));
    }

    private void changed(String developerId, String email) {
        changed(developerId, email, T0);
    }

    private void changed(String developerId, String email, Instant at) {
        append(developerId, new DeveloperDetailsChangedEvent(developerId, "Ada", email, at));
    }

    private void append(String developerId, Object event) {
        long sequence = log.lastSequenceNumberFor(developerId).map(last -> last + 1).orElse(0L);
        log.appendEvents(new GenericDomainEventMessage<>("DeveloperAccount", developerId, sequence, event));
    }

    @Test
    void anAddressHeldByAnAccountIsTakenInAnyCase() {
        EmailClaims claims = claimsAt(T0);
        assertThat(claims.claim("Grace@Example.com", "a", T0)).isEmpty();
        registered("a", "Grace@Example.com");
        assertThat(claims.claim("grace@example.COM", "b", T0)).contains("a");
        assertThat(claimsAt(T0.plusSeconds(3_600)).claim("grace@example.com", "b", T0)).as("for good").contains("a");
        assertThat(claims.claim("GRACE@example.com", "a", T0)).as("its own, in another case").isEmpty();
    }

    @Test
    void aClaimWhoseRegistrationMayStillBeUnderWayHoldsForAMinute() {
        assertThat(claimsAt(T0).claim("ada@example.com", "a", T0)).isEmpty();
        assertThat(claimsAt(T0.plusSeconds(59)).claim("ada@example.com", "b", T0.plusSeconds(59))).contains("a");
        Instant later = T0.plus(EmailClaims.PENDING).plusSeconds(1);
        assertThat(claimsAt(later).claim("ada@example.com", "b", later)).as("a registration that never happened")
                .isEmpty();
        assertThat(claimsAt(later).claim("ada@example.com", "c", later)).contains("b");
    }

    @Test
    void anAccountsChangeToAnAddressUnderWayHoldsItForAMinute() {
        registered("a", "ada@example.com");
        Instant at = T0.plusSeconds(10);
        assertThat(claimsAt(at).claim("ada@lovelace.org", "a", at)).isEmpty();
        assertThat(claimsAt(at).claim("ada@lovelace.org", "b", at)).as("its change not in the log yet").contains("a");
        changed("a", "ada@example.com", T0.plusSeconds(20));
        assertThat(claimsAt(at).claim("ada@lovelace.org", "b", at)).as("a change to another address came since")
                .isEmpty();
    }

    @Test
    void aReleaseLeavesAClaimTheAccountHoldsByTheLogOrThatALaterRequestMoved() {
        EmailClaims claims = claimsAt(T0);
        claims.claim("ada@example.com", "a", T0);
        registered("a", "ada@example.com");
        claims.release("ada@example.com", "a", T0);
        assertThat(claims.claim("ada@example.com", "b", T0)).as("made by another of its requests").contains("a");

        claims.claim("grace@example.com", "g", T0);
        claims.claim("grace@example.com", "g", T0.plusSeconds(1));
        claims.release("grace@example.com", "g", T0);
        assertThat(claims.claim("grace@example.com", "h", T0.plusSeconds(2))).contains("g");
    }

    @Test
    void addressesCompareAsEqualsIgnoreCaseDoes() {
        for (String[] pair : new String[][] {{"İlker@x.tr", "ilker@x.tr"}, {"ılker@x.tr", "ILKER@x.tr"},
                {"ΟΔΟΣ@x.gr", "οδος@x.gr"}, {"JOSÉ@exämple.de", "josé@EXÄMPLE.de"}}) {
            assertThat(pair[0].equalsIgnoreCase(pair[1])).isTrue();
            assertThat(EmailClaims.address(pair[0])).as(pair[0]).isEqualTo(EmailClaims.address(pair[1]));
        }
        assertThat(EmailClaims.address("ada@example.com")).isNotEqualTo(EmailClaims.address("adb@example.com"));
    }

    @Test
    void theEventsGiveAnAddressThatChangedHandsToItsHolder() {
        registered("x", "a@example.com");
        changed("x", "b@example.com", T0.plusSeconds(1));
        append("y", new DeveloperRegisteredEvent("y", "Y", "a@example.com", T0.plusSeconds(2)));
        EmailClaims claims = claimsAt(T0.plusSeconds(3_600));
        claims.on(new DeveloperRegisteredEvent("x", "X", "a@example.com", T0));
        claims.on(new DeveloperDetailsChangedEvent("x", "X", "b@example.com", T0.plusSeconds(1)));
        claims.on(new DeveloperRegisteredEvent("y", "Y", "a@example.com", T0.plusSeconds(2)));
        assertThat(claims.claim("a@example.com", "z", T0.plusSeconds(3_600))).contains("y");
        assertThat(claims.claim("b@example.com", "z", T0.plusSeconds(3_600))).contains("x");
    }

    @Test
    void anAddressTheAccountNoLongerHasIsFree() {
        EmailClaims claims = claimsAt(T0);
        claims.claim("ada@example.com", "a", T0);
        registered("a", "ada@example.com");
        claims.claim("ada@lovelace.org", "a", T0);
        changed("a", "ada@lovelace.org");
        assertThat(claims.claim("ada@example.com", "b", T0)).isEmpty();
        assertThat(claims.claim("ada@example.com", "a", T0)).as("taken over").contains("b");
    }

    @Test
    void anAccountKeepsAnAddressAnotherClaimedFirstBeforeClaimsExisted() {
        registered("a", "shared@example.com");
        registered("b", "shared@example.com");
        EmailClaims claims = claimsAt(T0);
        claims.on(new DeveloperRegisteredEvent("a", "A", "shared@example.com", T0));
        claims.on(new DeveloperRegisteredEvent("b", "B", "shared@example.com", T0));
        assertThat(claims.claim("shared@example.com", "b", T0)).as("b changes its name, not its address").isEmpty();
        assertThat(claims.claim("shared@example.com", "c", T0)).contains("a");
    }

    /** Probe G's case: the first account moves away, and the second still has the address from before claims. */
    @Test
    void anAddressSharedFromBeforeClaimsStaysTakenWhileOneOfItsAccountsHasIt() {
        registered("a", "shared@example.com");
        registered("b", "SHARED@example.com");
        EmailClaims claims = claimsAt(T0.plusSeconds(120));
        claims.on(new DeveloperRegisteredEvent("a", "A", "shared@example.com", T0));
        claims.on(new DeveloperRegisteredEvent("b", "B", "SHARED@example.com", T0));

        changed("a", "a@elsewhere.example", T0.plusSeconds(60));
        assertThat(claims.claim("shared@example.com", "c", T0.plusSeconds(120))).as("b still has it").contains("b");
        assertThat(claims.claim("shared@example.com", "a", T0.plusSeconds(120))).as("nor a, back").contains("b");
        Instant refused = T0.plusSeconds(121);
        assertThat(claims.claim("shared@example.com", "b", refused)).as("b keeps its own").isEmpty();
        claims.release("shared@example.com", "b", refused);
        assertThat(claims.claim("shared@example.com", "c", T0.plusSeconds(122))).as("after b's release").contains("b");

        changed("b", "b@elsewhere.example", T0.plusSeconds(130));
        assertThat(claims.claim("shared@example.com", "c", T0.plusSeconds(140))).as("free once both left").isEmpty();
    }

    /** A refused change gives up its claim, but not the accounts listed in it meanwhile. */
    @Test
    void aReleaseKeepsTheAccountsThatShareTheAddress() {
        registered("b", "shared@example.com");
        EmailClaims claims = claimsAt(T0);
        assertThat(claims.claim("shared@example.com", "c", T0)).as("c's registration, under way").isEmpty();
        claims.on(new DeveloperRegisteredEvent("b", "B", "shared@example.com", T0));
        assertThat(mongo.findById("shared@example.com", EmailClaim.class).alsoHeldBy()).containsExactly("b");

        claims.release("shared@example.com", "c", T0);
        assertThat(claims.claim("shared@example.com", "d", T0)).contains("b");
    }

    @Test
    void theEventsClaimTheAddressesOfAccountsMadeBeforeClaimsAndChangeNoClaim() {
        registered("a", "ada@example.com");
        EmailClaims claims = claimsAt(T0);
        claims.on(new DeveloperRegisteredEvent("a", "Ada", "ada@example.com", T0));
        claims.on(new DeveloperRegisteredEvent("a", "Ada", "ada@example.com", T0));
        assertThat(mongo.findAll(EmailClaim.class)).containsExactly(new EmailClaim("ada@example.com", "a", T0));
        assertThat(claims.claim("Ada@Example.com", "b", T0)).contains("a");

        assertThat(claims.claim("grace@example.com", "g", T0.plusSeconds(1))).isEmpty();
        claims.on(new DeveloperDetailsChangedEvent("a", "Ada", "grace@example.com", T0.plusSeconds(2)));
        assertThat(mongo.findById("grace@example.com", EmailClaim.class))
                .isEqualTo(new EmailClaim("grace@example.com", "g", T0.plusSeconds(1)));
    }

    @Test
    void aReleaseGivesUpOnlyTheClaimItMade() {
        EmailClaims claims = claimsAt(T0);
        claims.claim("ada@example.com", "a", T0);
        claims.release("ada@example.com", "a", T0.plusSeconds(1));
        claims.release("ada@example.com", "b", T0);
        assertThat(claims.claim("ada@example.com", "b", T0)).contains("a");
        claims.release("ADA@example.com", "a", T0);
        assertThat(claims.claim("ada@example.com", "b", T0)).isEmpty();
    }

    @Test
    void ofClaimsAtOnceOneWins() throws Exception {
        EmailClaims claims = claimsAt(T0);
        // A stale claim first, so that the racers also race to take it over.
        claims.claim("ada@example.com", "gone", T0.minus(EmailClaims.PENDING).minusSeconds(1));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Optional<String>>> racers = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String developerId = "d" + i;
                racers.add(() -> claims.claim("ada@example.com", developerId, T0));
            }
            List<Optional<String>> answers = new ArrayList<>();
            for (Future<Optional<String>> answer : pool.invokeAll(racers)) {
                answers.add(answer.get());
            }
            String winner = mongo.findById("ada@example.com", EmailClaim.class).developerId();
            assertThat(answers).filteredOn(Optional::isEmpty).hasSize(1);
            assertThat(answers).filteredOn(Optional::isPresent).hasSize(15).allSatisfy(holder ->
                    assertThat(holder).contains(winner));
        } finally {
            pool.shutdownNow();
        }
    }
}
