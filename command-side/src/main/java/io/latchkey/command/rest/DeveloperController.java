package io.latchkey.command.rest;

import io.latchkey.api.RateLimit;
import io.latchkey.command.ChangeDeveloperDetailsCommand;
import io.latchkey.command.RegisterDeveloperCommand;
import io.latchkey.command.SetDeveloperRateLimitCommand;
import io.latchkey.command.email.EmailClaims;
import io.latchkey.support.security.Caller;
import io.latchkey.support.security.CredentialScreen;
import io.latchkey.support.web.Ids;
import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.RequestContext;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /v1/developers}: operators register developer accounts; {@code PUT /v1/developers/{id}} changes an
 * account's name and e-mail address (the operator, or the developer's own admin key). {@code PUT} and {@code DELETE
 * /v1/developers/{id}/rate-limit} set and remove the default rate limit of the developer's keys that have none of
 * their own; operator only, like registration (a developer must not lift their own default). A developer's admin
 * key gets 403 here for every id, so the answer says nothing about which developers exist. The default's changes
 * answer with the account's version as ETag and honour {@code If-Match}, as a key's changes do. An e-mail address
 * belongs to one account: another account's is 409 {@value #EMAIL_TAKEN}, so a registration sent again after its
 * answer was lost names the account it made instead of making a second one.
 */
@RestController
// A client that takes no JSON is refused before the change is made, not after: its answer (a new key's plaintext
// among them) would be lost.
@RequestMapping(produces = MediaType.APPLICATION_JSON_VALUE)
class DeveloperController {

    static final String EMAIL_TAKEN = "email-taken";
    private static final Logger log = LoggerFactory.getLogger(DeveloperController.class);

    private final CommandSender commands;
    private final Clock clock;
    private final CredentialScreen screen;
    private final EmailClaims emails;

    DeveloperController(CommandSender commands, Clock clock, CredentialScreen screen, EmailClaims emails) {
        this.commands = commands;
        this.clock = clock;
        this.screen = screen;
        this.emails = emails;
    }

    @PostMapping("/v1/developers")
    ResponseEntity<DeveloperResponse> register(@RequestBody RegisterDeveloperRequest request, RequestContext ctx) {
        ctx.caller().requireOperator();
        String name = Requests.text(screen, request.name(), "name", 200);
        String email = Requests.email(screen, request.email());
        String developerId = UUID.randomUUID().toString();
        Instant now = clock.instant();
        withAddress(email, developerId, now, false, ctx, () -> commands.send(
                new RegisterDeveloperCommand(developerId, name, email, now), ctx, Ids.NO_SUCH_DEVELOPER));
        return ResponseEntity.created(URI.create("/v1/developers/" + developerId))
                .body(new DeveloperResponse(developerId, name, email, now));
    }

    /**
     * Replaces the account's name and e-mail address: the operator's, or the developer's own admin key's (its
     * contact is its own to keep right). Answers the account's version as ETag; a change to what the account already
     * has records nothing.
     */
    @PutMapping("/v1/developers/{developerId}")
    ResponseEntity<DeveloperDetailsResponse> changeDetails(
            @PathVariable String developerId, @RequestBody RegisterDeveloperRequest request,
            @RequestHeader(name = "If-Match", required = false) String ifMatch, RequestContext ctx) {
        Ids.require(developerId, Ids.NO_SUCH_DEVELOPER);
        // Before the address is looked at, so that another developer's account answers as one that does not exist.
        if (!ctx.caller().mayAccess(developerId)) {
            throw ctx.caller().equals(Caller.ANONYMOUS) ? ProblemException.unauthorized()
                    : ProblemException.notFound(Ids.NO_SUCH_DEVELOPER);
        }
        String name = Requests.text(screen, request.name(), "name", 200);
        String email = Requests.email(screen, request.email());
        Long expected = Requests.expectedVersion(ifMatch);
        Instant now = clock.instant();
        Long version = withAddress(email, developerId, now, true, ctx, () -> commands.send(
                new ChangeDeveloperDetailsCommand(developerId, name, email, now, expected), ctx,
                Ids.NO_SUCH_DEVELOPER));
        return ResponseEntity.ok().eTag(Requests.etag(version))
                .body(new DeveloperDetailsResponse(developerId, name, email, version));
    }

    /**
     * Makes the change with {@code email} claimed for the account. The claim is given up when the change is refused
     * (4xx: nothing was done) and kept when it failed otherwise, as it may still take effect. The holder of a
     * taken address is named to the operator alone; a change to an {@code existing} account that is not one is 404
     * first, as it would be without the clash.
     */
    private <R> R withAddress(String email, String developerId, Instant now, boolean existing, RequestContext ctx,
                              Supplier<R> change) {
        emails.claim(email, developerId, now).ifPresent(holder -> {
            if (existing && !emails.isAccount(developerId)) {
                throw ProblemException.notFound(Ids.NO_SUCH_DEVELOPER);
            }
            ProblemException taken = ProblemException.conflict(EMAIL_TAKEN, ctx.caller().isOperator()
                    ? "Developer " + holder + " has this e-mail address (or its registration is under way)."
                    : "Another developer account has this e-mail address.");
            if (ctx.caller().isOperator()) {
                taken.problem().setProperty("developerId", holder);
            }
            throw taken;
        });
        try {
            return change.get();
        } catch (ProblemException e) {
            if (e.problem().getStatus() < 500) {
                release(email, developerId, now);
            }
            throw e;
        }
    }

    /** A claim that cannot be given up now (the store gone) goes stale by itself; the refusal is the answer. */
    private void release(String email, String developerId, Instant claimedAt) {
        try {
            emails.release(email, developerId, claimedAt);
        } catch (RuntimeException e) {
            log.warn("Could not give up the e-mail claim of developer {} after its change was refused: {}",
                    developerId, e.toString());
        }
    }

    @PutMapping("/v1/developers/{developerId}/rate-limit")
    ResponseEntity<DeveloperRateLimitResponse> setRateLimit(
            @PathVariable String developerId, @RequestBody RateLimitBody request,
            @RequestHeader(name = "If-Match", required = false) String ifMatch, RequestContext ctx) {
        // Before the limit's check: an admin key is told the route is not its own, whatever limit it sent (a body that
        // is no JSON at all is refused before any of this).
        ctx.caller().requireOperator();
        return changeRateLimit(developerId, request.toRateLimit(), ifMatch, ctx);
    }

    @DeleteMapping("/v1/developers/{developerId}/rate-limit")
    ResponseEntity<DeveloperRateLimitResponse> removeRateLimit(
            @PathVariable String developerId, @RequestHeader(name = "If-Match", required = false) String ifMatch,
            RequestContext ctx) {
        ctx.caller().requireOperator();
        return changeRateLimit(developerId, null, ifMatch, ctx);
    }

    /** For the operator alone, which the caller has checked. */
    private ResponseEntity<DeveloperRateLimitResponse> changeRateLimit(String developerId, RateLimit rateLimit,
                                                                       String ifMatch, RequestContext ctx) {
        Ids.require(developerId, Ids.NO_SUCH_DEVELOPER);
        Long version = commands.send(new SetDeveloperRateLimitCommand(developerId, rateLimit, clock.instant(),
                Requests.expectedVersion(ifMatch)), ctx, Ids.NO_SUCH_DEVELOPER);
        return ResponseEntity.ok().eTag(Requests.etag(version))
                .body(new DeveloperRateLimitResponse(developerId, RateLimitBody.of(rateLimit), version));
    }
}
