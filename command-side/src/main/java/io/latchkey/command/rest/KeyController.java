package io.latchkey.command.rest;

import static io.latchkey.command.rest.Requests.etag;
import static io.latchkey.command.rest.Requests.expectedVersion;

import io.latchkey.api.RateLimit;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHasher;
import io.latchkey.command.ChangeApiKeyScopesCommand;
import io.latchkey.command.CreateApiKeyCommand;
import io.latchkey.command.KeyRevocation;
import io.latchkey.command.KeyRotation;
import io.latchkey.command.RenewApiKeyCommand;
import io.latchkey.command.RevokeApiKeyCommand;
import io.latchkey.command.RotateApiKeyCommand;
import io.latchkey.command.SetApiKeyQuotaCommand;
import io.latchkey.command.SetApiKeyRateLimitCommand;
import io.latchkey.support.events.EventWindows;
import io.latchkey.support.security.CredentialScreen;
import io.latchkey.support.store.EmbeddedMongoServer;
import io.latchkey.support.web.Ids;
import io.latchkey.support.web.ProblemException;
import io.latchkey.support.web.RequestContext;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.CacheControl;
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
 * Key lifecycle commands. Create and rotate generate the secret here, send only its hash and hint, and return the
 * plaintext in the response, the one place it ever appears; with an {@code Idempotency-Key}, one sent again does not
 * make another ({@link IdempotencyKeys}). Every change answers with the key's version as ETag
 * and honours {@code If-Match}. A developer's admin key may do all of this to its own developer's keys (the
 * aggregates answer any other's as nonexistent), except set rate limits, which stay the operator's. A revocation's
 * tombstones go to the edges as soon as it is appended ({@code ReplicaTombstones}).
 */
@RestController
// A client that takes no JSON is refused before the change is made, not after: its answer (a new key's plaintext
// among them) would be lost.
@RequestMapping(produces = MediaType.APPLICATION_JSON_VALUE)
class KeyController {

    private static final long MAX_GRACE_SECONDS = 30L * 24 * 3600;

    private final CommandSender commands;
    private final Clock clock;
    private final KeyFormat keyFormat;
    private final KeyHasher keyHasher;
    private final CredentialScreen screen;
    private final EventWindows events;
    /** Makes the embedded store's writes durable; nothing to do with Axon Server, whose appends are. */
    private final Runnable durable;

    KeyController(CommandSender commands, Clock clock, KeyFormat keyFormat, KeyHasher keyHasher,
                  CredentialScreen screen, EventWindows events, ObjectProvider<EmbeddedMongoServer> served) {
        this.commands = commands;
        this.clock = clock;
        this.keyFormat = keyFormat;
        this.keyHasher = keyHasher;
        this.screen = screen;
        this.events = events;
        EmbeddedMongoServer store = served.getIfAvailable();
        this.durable = store == null ? () -> { } : store::commit;
    }

    @PostMapping("/v1/developers/{developerId}/keys")
    ResponseEntity<CreatedKeyResponse> create(@PathVariable String developerId, @RequestBody CreateKeyRequest request,
                                              @RequestHeader(name = IdempotencyKeys.HEADER, required = false)
                                              String idempotencyKey, RequestContext ctx) {
        Ids.require(developerId, Ids.NO_SUCH_DEVELOPER);
        String name = Requests.text(screen, request.name(), "name", 200);
        List<String> scopes = Requests.scopes(request.scopes());
        if (request.rateLimit() != null || request.quota() != null) {
            // A key's own limit wins over the developer's default, so setting one is the operator's, like the default;
            // a quota is what a plan sells, so it is the operator's too.
            ctx.caller().requireOperator();
        }
        RateLimit rateLimit = request.rateLimit() == null ? null : request.rateLimit().toRateLimit();
        Long quota = request.quota() == null ? null : request.quota().toRequestsPerMonth();
        String keyId = idempotencyKey == null ? UUID.randomUUID().toString()
                : IdempotencyKeys.keyId(developerId, idempotencyKey, screen);
        if (idempotencyKey != null && IdempotencyKeys.made(keyId, developerId, ctx.caller(), events)) {
            throw IdempotencyKeys.used(keyId);
        }
        String key = keyFormat.generate();
        String hint = KeyFormat.hint(key);
        Instant now = clock.instant();
        String secretHash = keyHasher.hash(key).hex();
        Long version;
        try {
            version = commands.send(new CreateApiKeyCommand(developerId, keyId, name, secretHash, hint, scopes,
                    request.expiresAt(), rateLimit, quota, now), ctx, Ids.NO_SUCH_DEVELOPER);
        } catch (RuntimeException failure) {
            if (idempotencyKey == null) {
                throw failure;
            }
            version = IdempotencyKeys.ownVersion(failure, keyId, secretHash, quota != null, events, durable);
        }
        // The plaintext is in this answer alone: no browser or proxy may keep a copy.
        return ResponseEntity.created(URI.create("/v1/keys/" + keyId)).eTag(etag(version))
                .cacheControl(CacheControl.noStore())
                .body(new CreatedKeyResponse(keyId, developerId, name, key, hint, scopes, now, request.expiresAt(),
                        RateLimitBody.of(rateLimit), QuotaBody.of(quota), version));
    }

    @PutMapping("/v1/keys/{keyId}/scopes")
    ResponseEntity<ScopesResponse> changeScopes(@PathVariable String keyId, @RequestBody ScopesRequest request,
                                                @RequestHeader(name = "If-Match", required = false) String ifMatch,
                                                RequestContext ctx) {
        Ids.require(keyId, Ids.NO_SUCH_KEY);
        List<String> scopes = Requests.scopes(request.scopes());
        Long version = commands.send(new ChangeApiKeyScopesCommand(keyId, scopes, clock.instant(),
                expectedVersion(ifMatch)), ctx, Ids.NO_SUCH_KEY);
        return ResponseEntity.ok().eTag(etag(version)).body(new ScopesResponse(keyId, scopes, version));
    }

    @PostMapping("/v1/keys/{keyId}/rotate")
    ResponseEntity<RotatedKeyResponse> rotate(@PathVariable String keyId,
                                              @RequestBody(required = false) RotateRequest request,
                                              @RequestHeader(name = "If-Match", required = false) String ifMatch,
                                              @RequestHeader(name = IdempotencyKeys.HEADER, required = false)
                                              String idempotencyKey, RequestContext ctx) {
        Ids.require(keyId, Ids.NO_SUCH_KEY);
        long grace = request == null || request.gracePeriodSeconds() == null ? 0 : request.gracePeriodSeconds();
        if (grace < 0 || grace > MAX_GRACE_SECONDS) {
            throw ProblemException.invalid("gracePeriodSeconds must be between 0 and " + MAX_GRACE_SECONDS + ".");
        }
        Long asked = expectedVersion(ifMatch);
        String mark = idempotencyKey == null ? null : IdempotencyKeys.rotationMark(keyId, idempotencyKey, screen);
        // Without a version asked for, the one read: two rotates with the header at once cannot both rotate.
        Long read = mark == null ? null : IdempotencyKeys.unrotated(keyId, mark, ctx.caller(), events);
        Long expected = asked != null ? asked : read;
        String key = keyFormat.generate();
        String hint = KeyFormat.hint(key);
        Instant now = clock.instant();
        String secretHash = keyHasher.hash(key).hex();
        RotateApiKeyCommand command = new RotateApiKeyCommand(keyId, secretHash, hint, now.plusSeconds(grace), now,
                expected);
        KeyRotation rotation;
        try {
            rotation = commands.send(command, mark == null ? Map.of() : Map.of(IdempotencyKeys.ROTATION, mark), ctx,
                    Ids.NO_SUCH_KEY);
        } catch (RuntimeException failure) {
            if (mark == null) {
                throw failure;
            }
            rotation = IdempotencyKeys.ownRotation(failure, keyId, mark, secretHash, asked == null, events, durable);
        }
        return ResponseEntity.ok().eTag(etag(rotation.version())).cacheControl(CacheControl.noStore())
                .body(new RotatedKeyResponse(keyId, key, hint, rotation.previousSecretValidUntil(),
                        rotation.version()));
    }

    @PostMapping("/v1/keys/{keyId}/renew")
    ResponseEntity<RenewedKeyResponse> renew(@PathVariable String keyId, @RequestBody RenewRequest request,
                                             @RequestHeader(name = "If-Match", required = false) String ifMatch,
                                             RequestContext ctx) {
        Ids.require(keyId, Ids.NO_SUCH_KEY);
        if (!request.namesExpiry()) {
            throw ProblemException.invalid("expiresAt is required: an instant, or null for a key that never expires.");
        }
        Instant expiresAt = request.expiresAt();
        Long version = commands.send(new RenewApiKeyCommand(keyId, expiresAt, clock.instant(),
                expectedVersion(ifMatch)), ctx, Ids.NO_SUCH_KEY);
        return ResponseEntity.ok().eTag(etag(version)).body(new RenewedKeyResponse(keyId, expiresAt, version));
    }

    @PostMapping("/v1/keys/{keyId}/revoke")
    ResponseEntity<RevokedKeyResponse> revoke(@PathVariable String keyId,
                                              @RequestBody(required = false) RevokeRequest request,
                                              @RequestHeader(name = "If-Match", required = false) String ifMatch,
                                              RequestContext ctx) {
        Ids.require(keyId, Ids.NO_SUCH_KEY);
        String reason = request == null || request.reason() == null || request.reason().isBlank()
                ? null : Requests.text(screen, request.reason(), "reason", 500);
        Instant now = clock.instant();
        KeyRevocation revocation = commands.send(new RevokeApiKeyCommand(keyId, reason, now,
                expectedVersion(ifMatch)), ctx, Ids.NO_SUCH_KEY);
        return ResponseEntity.ok().eTag(etag(revocation.version()))
                .body(new RevokedKeyResponse(keyId, now, revocation.version()));
    }

    @PutMapping("/v1/keys/{keyId}/rate-limit")
    ResponseEntity<RateLimitResponse> setRateLimit(@PathVariable String keyId, @RequestBody RateLimitBody request,
                                                   @RequestHeader(name = "If-Match", required = false) String ifMatch,
                                                   RequestContext ctx) {
        ctx.caller().requireOperator();
        Ids.require(keyId, Ids.NO_SUCH_KEY);
        return rateLimit(keyId, request.toRateLimit(), ifMatch, ctx);
    }

    /** The key goes back to its developer's default limit, or to none. */
    @DeleteMapping("/v1/keys/{keyId}/rate-limit")
    ResponseEntity<RateLimitResponse> removeRateLimit(
            @PathVariable String keyId, @RequestHeader(name = "If-Match", required = false) String ifMatch,
            RequestContext ctx) {
        ctx.caller().requireOperator();
        Ids.require(keyId, Ids.NO_SUCH_KEY);
        return rateLimit(keyId, null, ifMatch, ctx);
    }

    private ResponseEntity<RateLimitResponse> rateLimit(String keyId, RateLimit rateLimit, String ifMatch,
                                                        RequestContext ctx) {
        Long version = commands.send(new SetApiKeyRateLimitCommand(keyId, rateLimit, clock.instant(),
                expectedVersion(ifMatch)), ctx, Ids.NO_SUCH_KEY);
        return ResponseEntity.ok().eTag(etag(version))
                .body(new RateLimitResponse(keyId, RateLimitBody.of(rateLimit), version));
    }

    @PutMapping("/v1/keys/{keyId}/quota")
    ResponseEntity<QuotaResponse> setQuota(@PathVariable String keyId, @RequestBody QuotaBody request,
                                           @RequestHeader(name = "If-Match", required = false) String ifMatch,
                                           RequestContext ctx) {
        ctx.caller().requireOperator();
        Ids.require(keyId, Ids.NO_SUCH_KEY);
        return quota(keyId, request.toRequestsPerMonth(), ifMatch, ctx);
    }

    @DeleteMapping("/v1/keys/{keyId}/quota")
    ResponseEntity<QuotaResponse> removeQuota(@PathVariable String keyId,
                                              @RequestHeader(name = "If-Match", required = false) String ifMatch,
                                              RequestContext ctx) {
        ctx.caller().requireOperator();
        Ids.require(keyId, Ids.NO_SUCH_KEY);
        return quota(keyId, null, ifMatch, ctx);
    }

    private ResponseEntity<QuotaResponse> quota(String keyId, Long requestsPerMonth, String ifMatch,
                                                RequestContext ctx) {
        Long version = commands.send(new SetApiKeyQuotaCommand(keyId, requestsPerMonth, clock.instant(),
                expectedVersion(ifMatch)), ctx, Ids.NO_SUCH_KEY);
        return ResponseEntity.ok().eTag(etag(version))
                .body(new QuotaResponse(keyId, QuotaBody.of(requestsPerMonth), version));
    }
}
