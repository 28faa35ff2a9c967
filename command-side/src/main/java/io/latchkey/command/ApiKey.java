package io.latchkey.command;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;
import static org.axonframework.modelling.command.AggregateLifecycle.getVersion;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyExpiredEvent;
import io.latchkey.api.ApiKeyQuotaChangedEvent;
import io.latchkey.api.ApiKeyRateLimitChangedEvent;
import io.latchkey.api.ApiKeyRenewedEvent;
import io.latchkey.api.ApiKeyRevokedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.ApiKeyScopesChangedEvent;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.api.Scope;
import io.latchkey.api.TimeBounds;
import io.latchkey.support.web.RequestContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.messaging.MetaData;
import org.axonframework.messaging.annotation.MetaDataValue;
import org.axonframework.modelling.command.AggregateIdentifier;
import org.axonframework.modelling.command.CommandHandlerInterceptor;
import org.axonframework.serialization.Revision;
import org.axonframework.spring.stereotype.Aggregate;

/**
 * One API key's lifecycle. A revoked key accepts no further change; an expired one can be renewed. Handlers that
 * change the key return its version (the sequence number of the event they applied) for the caller's ETag; a change
 * to what the key already has (the same scopes, limit, quota or expiry) applies no event (but the expiry of a key past
 * it, below) and returns the version as it is, so that a request sent again leaves the history and the ETag alone.
 * Snapshotted (fields visible to Jackson): a command that fails drops the key from the cache, and loading a key with a
 * long history from its first event cost a quarter of a second a command, which refused revocations made cheap to
 * repeat.
 */
@Aggregate(snapshotTriggerDefinition = "apiKeySnapshotTrigger", cache = "apiKeyCache")
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
// The snapshot's form: raise it when a handler folds an event differently or a field changes meaning, and Axon then
// skips older snapshots and folds the events again.
@Revision("1")
public class ApiKey {

    /** Who records an expiry: the sweep, or a change that found the key past its expiry before the sweep did. */
    public static final String EXPIRY_ACTOR = "system:expiry";

    @AggregateIdentifier
    private String keyId;
    private String developerId;
    private KeyStatus status;
    private String secretHash;
    /** Secrets rotated out that were still in their grace period at the last rotation, and when each stops. */
    private Map<String, Instant> retiredSecrets = Map.of();
    private Instant expiresAt;
    private List<String> scopes = List.of();
    private RateLimit rateLimit;
    private Long monthlyQuota;

    protected ApiKey() {
        // Rebuilt by Axon from its events.
    }

    /** Called only by {@link DeveloperAccount}, which guarantees that the developer exists. */
    ApiKey(CreateApiKeyCommand command) {
        requireFuture(command.expiresAt(), command.now());
        apply(new ApiKeyCreatedEvent(command.keyId(), command.developerId(), command.name(), command.secretHash(),
                command.hint(), canonical(command.scopes()), command.now(), command.expiresAt(), command.rateLimit()));
        if (command.monthlyQuota() != null) {
            apply(new ApiKeyQuotaChangedEvent(command.keyId(), requireQuota(command.monthlyQuota()), command.now()));
        }
    }

    /**
     * Another developer's key answers exactly like a key that does not exist. Runs before every handler of this key
     * and so before rules and the check of an older expected version (made when the handler has returned) could
     * tell a stranger that the key exists; {@link CommandFailureCodes} covers a newer one, checked while loading.
     */
    @CommandHandlerInterceptor
    void onlyItsOwnDeveloper(@MetaDataValue(RequestContext.TENANT) String tenant) {
        Tenancy.require(tenant, developerId, keyId);
    }

    @CommandHandler
    Long handle(ChangeApiKeyScopesCommand command) {
        requireNotRevoked();
        List<String> changed = canonical(command.scopes());
        expireIfDue(command.now());
        if (!changed.equals(scopes)) {
            apply(new ApiKeyScopesChangedEvent(keyId, changed, command.now()));
        }
        return getVersion();
    }

    /**
     * The current secret works until the grace period ends; secrets still in an earlier grace keep theirs, cut to
     * this one's end. So a rotation sent again after its answer was lost leaves the secret in use working, while a
     * rotation without grace (after a leak) ends them all. An expired key is renewed first: its new secret would not
     * work.
     */
    @CommandHandler
    KeyRotation handle(RotateApiKeyCommand command) {
        requireNotRevoked();
        if (status == KeyStatus.EXPIRED || expiresAt != null && !expiresAt.isAfter(command.now())) {
            throw new RuleViolation(RuleViolation.KEY_EXPIRED, "The key has expired; renew it before rotating.");
        }
        if (command.previousSecretValidUntil().isBefore(command.now())) {
            throw new RuleViolation(RuleViolation.GRACE_IN_PAST, "The grace period cannot end in the past.");
        }
        // The end the answer gives is the one the event keeps: a renewal later must not revive a secret past it.
        Instant ends = ApiKeyRotatedEvent.previousSecretEnds(command.previousSecretValidUntil(), expiresAt);
        apply(new ApiKeyRotatedEvent(keyId, command.secretHash(), command.hint(), secretHash, ends, command.now(),
                ends));
        return new KeyRotation(getVersion(), ends);
    }

    @CommandHandler
    Long handle(RenewApiKeyCommand command) {
        requireNotRevoked();
        requireFuture(command.expiresAt(), command.now());
        expireIfDue(command.now());
        if (status != KeyStatus.ACTIVE || !Objects.equals(expiresAt, command.expiresAt())) {
            apply(new ApiKeyRenewedEvent(keyId, command.expiresAt(), command.now()));
        }
        return getVersion();
    }

    /** Answers with the hashes the key's secrets may still be presented under, so edges can be told at once. */
    @CommandHandler
    KeyRevocation handle(RevokeApiKeyCommand command) {
        requireNotRevoked();
        expireIfDue(command.now());
        apply(new ApiKeyRevokedEvent(keyId, command.reason(), command.now()));
        List<String> hashes = new ArrayList<>(List.of(secretHash));
        hashes.addAll(retiredSecrets.keySet());
        return new KeyRevocation(keyId, getVersion(), List.copyOf(hashes));
    }

    @CommandHandler
    Long handle(SetApiKeyRateLimitCommand command) {
        requireNotRevoked();
        expireIfDue(command.now());
        if (!Objects.equals(rateLimit, command.rateLimit())) {
            apply(new ApiKeyRateLimitChangedEvent(keyId, command.rateLimit(), command.now()));
        }
        return getVersion();
    }

    @CommandHandler
    Long handle(SetApiKeyQuotaCommand command) {
        requireNotRevoked();
        Long quota = command.requestsPerMonth() == null ? null : requireQuota(command.requestsPerMonth());
        expireIfDue(command.now());
        if (!Objects.equals(monthlyQuota, quota)) {
            apply(new ApiKeyQuotaChangedEvent(keyId, quota, command.now()));
        }
        return getVersion();
    }

    /** Idempotent: a key that is not due, already expired or revoked is left alone, so a schedule may resend. */
    @CommandHandler
    void handle(ExpireApiKeyCommand command) {
        expireIfDue(command.now());
    }

    /**
     * Records the expiry of a key past its expiry that the sweep has not reached yet, before a change to it: the edges
     * refused it from its expiry on, and its history must say so whatever the sweep's timing (a renewal within the
     * sweep's interval would otherwise leave no expiry in it).
     */
    private void expireIfDue(Instant now) {
        if (status == KeyStatus.ACTIVE && expiresAt != null && !expiresAt.isAfter(now)) {
            // Recorded as the sweep records it, by the system, whoever's request came first; its request id stays.
            apply(new ApiKeyExpiredEvent(keyId, expiresAt),
                    MetaData.with(RequestContext.ACTOR, EXPIRY_ACTOR).and(RequestContext.SOURCE_ADDRESS, "internal"));
        }
    }

    @EventSourcingHandler
    void on(ApiKeyCreatedEvent event) {
        keyId = event.keyId();
        developerId = event.developerId();
        status = KeyStatus.ACTIVE;
        secretHash = event.secretHash();
        expiresAt = event.expiresAt();
        scopes = event.scopes();
        rateLimit = event.rateLimit();
    }

    @EventSourcingHandler
    void on(ApiKeyScopesChangedEvent event) {
        scopes = event.scopes();
    }

    @EventSourcingHandler
    void on(ApiKeyRateLimitChangedEvent event) {
        rateLimit = event.rateLimit();
    }

    @EventSourcingHandler
    void on(ApiKeyQuotaChangedEvent event) {
        monthlyQuota = event.requestsPerMonth();
    }

    /** Keeps the secrets a revocation must still stop at once: those whose grace outlasts this rotation. */
    @EventSourcingHandler
    void on(ApiKeyRotatedEvent event) {
        Map<String, Instant> retired = new LinkedHashMap<>();
        retired.put(event.previousSecretHash(), event.previousSecretValidUntil());
        retiredSecrets.forEach((hash, until) -> retired.putIfAbsent(hash, event.earlierSecretValidUntil(until)));
        retired.values().removeIf(until -> !until.isAfter(event.rotatedAt()));
        retiredSecrets = retired;
        secretHash = event.secretHash();
    }

    /** A secret rotated out keeps the end the expiry before the renewal gave it: a renewal never extends it. */
    @EventSourcingHandler
    void on(ApiKeyRenewedEvent event) {
        Map<String, Instant> retired = new LinkedHashMap<>(retiredSecrets);
        retired.replaceAll((hash, until) -> ApiKeyRotatedEvent.previousSecretEnds(until, expiresAt));
        retired.values().removeIf(until -> !until.isAfter(event.renewedAt()));
        retiredSecrets = retired;
        expiresAt = event.expiresAt();
        status = KeyStatus.ACTIVE;
    }

    @EventSourcingHandler
    void on(ApiKeyRevokedEvent event) {
        status = KeyStatus.REVOKED;
    }

    @EventSourcingHandler
    void on(ApiKeyExpiredEvent event) {
        status = KeyStatus.EXPIRED;
    }

    private void requireNotRevoked() {
        if (status == KeyStatus.REVOKED) {
            throw new RuleViolation(RuleViolation.KEY_REVOKED, "The key is revoked and cannot be changed.");
        }
    }

    private static long requireQuota(long requestsPerMonth) {
        if (requestsPerMonth < 1) {
            throw new RuleViolation(RuleViolation.INVALID_QUOTA, "A quota must allow at least one request a month.");
        }
        return requestsPerMonth;
    }

    /** An expiry, when there is one (null: the key never expires), must be ahead and storable. */
    private static void requireFuture(Instant expiry, Instant now) {
        if (expiry == null) {
            return;
        }
        if (!expiry.isAfter(now)) {
            throw new RuleViolation(RuleViolation.EXPIRY_IN_PAST,
                    "expiresAt must be in the future (or null for a key that never expires).");
        }
        if (!TimeBounds.holds(expiry)) {
            throw new RuleViolation(RuleViolation.EXPIRY_TOO_LATE, "expiresAt must be before the year 10000.");
        }
    }

    /** Events hold scopes in canonical form whoever sent the command. */
    private static List<String> canonical(List<String> scopes) {
        try {
            return Scope.canonical(scopes);
        } catch (IllegalArgumentException e) {
            throw new RuleViolation(RuleViolation.INVALID_SCOPE,
                    "scopes must be one or more of read, write, admin or <resource>:<read|write|admin>.");
        }
    }
}
