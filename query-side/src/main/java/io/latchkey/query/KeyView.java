package io.latchkey.query;

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
import java.time.Instant;
import java.util.List;
import org.axonframework.serialization.UnknownSerializedType;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * An API key as queries see it. {@code secretHash} is the current secret's hash, kept for reconciliation with the
 * replicated map and never sent to a client. {@code monthlyQuota} is the key's request quota per calendar month (UTC),
 * null for none. {@code version} is the sequence number of the last event applied,
 * {@code updatedAt} that event's own time.
 */
@Document(KeyView.COLLECTION)
public record KeyView(@Id String keyId, String developerId, String name, String hint, String secretHash,
                      List<String> scopes, KeyStatus status, Instant createdAt, Instant expiresAt, Instant rotatedAt,
                      Instant previousKeyValidUntil, Instant revokedAt, String revocationReason, RateLimit rateLimit,
                      Long monthlyQuota, long version, Instant updatedAt) {

    static final String COLLECTION = "keys";

    public KeyView {
        scopes = List.copyOf(scopes);
    }

    static KeyView created(ApiKeyCreatedEvent event, long sequence) {
        return new KeyView(event.keyId(), event.developerId(), event.name(), event.hint(), event.secretHash(),
                event.scopes(), KeyStatus.ACTIVE, event.createdAt(), event.expiresAt(), null, null, null, null,
                event.rateLimit(), null, sequence, event.createdAt());
    }

    /**
     * When the secret rotated out last stops working: the end of its grace period, or the key's expiry if that comes
     * first (as the rotation's answer says: capped at the expiry the key had then and at every expiry since, which a
     * renewal does not extend, and at the expiry now), or its revocation. Null without a rotation.
     */
    public Instant previousKeyEnds() {
        if (previousKeyValidUntil == null) {
            return null;
        }
        Instant ends = ApiKeyRotatedEvent.previousSecretEnds(previousKeyValidUntil, expiresAt);
        // A revocation ends every secret of the key, the old one's grace too.
        return revokedAt != null && revokedAt.isBefore(ends) ? revokedAt : ends;
    }

    /** The limit edges apply: the key's own, else its developer's default ({@code developerDefault}), else none. */
    public RateLimit effectiveRateLimit(RateLimit developerDefault) {
        return rateLimit != null ? rateLimit : developerDefault;
    }

    /** The status a caller should see at {@code now}: a key past its expiry is EXPIRED before the event says so. */
    public KeyStatus statusAt(Instant now) {
        return status == KeyStatus.ACTIVE && expiresAt != null && !now.isBefore(expiresAt) ? KeyStatus.EXPIRED : status;
    }

    /**
     * The view after one of the key's events other than its creation, the one mapping of events to changes that both
     * the projection and a past state's fold ({@link PastStates}) use. An event this release does not know (a later
     * release's, during a rolling upgrade) changes nothing, as the projection has no handler for it.
     */
    KeyView after(Object event, long sequence) {
        if (event instanceof ApiKeyScopesChangedEvent changed) {
            return withScopes(changed.scopes(), changed.changedAt(), sequence);
        } else if (event instanceof ApiKeyRotatedEvent rotation) {
            return rotated(rotation, sequence);
        } else if (event instanceof ApiKeyRenewedEvent renewal) {
            return renewed(renewal.expiresAt(), renewal.renewedAt(), sequence);
        } else if (event instanceof ApiKeyRateLimitChangedEvent changed) {
            return withRateLimit(changed.rateLimit(), changed.changedAt(), sequence);
        } else if (event instanceof ApiKeyQuotaChangedEvent changed) {
            return withMonthlyQuota(changed.requestsPerMonth(), changed.changedAt(), sequence);
        } else if (event instanceof ApiKeyRevokedEvent revocation) {
            return revoked(revocation.reason(), revocation.revokedAt(), sequence);
        } else if (event instanceof ApiKeyExpiredEvent expiry) {
            return expired(expiry.expiredAt(), sequence);
        }
        if (event instanceof UnknownSerializedType) {
            return this;
        }
        throw new IllegalArgumentException("Not a change of a key: " + event.getClass().getName());
    }

    KeyView withScopes(List<String> newScopes, Instant at, long sequence) {
        return new KeyView(keyId, developerId, name, hint, secretHash, newScopes, status, createdAt, expiresAt,
                rotatedAt, previousKeyValidUntil, revokedAt, revocationReason, rateLimit, monthlyQuota, sequence, at);
    }

    KeyView rotated(ApiKeyRotatedEvent event, long sequence) {
        // Capped at the expiry as it stood, as the rotation answered (events before 2026-12-05 kept the grace's end).
        return new KeyView(keyId, developerId, name, event.hint(), event.secretHash(), scopes, status, createdAt,
                expiresAt, event.rotatedAt(),
                ApiKeyRotatedEvent.previousSecretEnds(event.previousSecretValidUntil(), expiresAt), revokedAt,
                revocationReason, rateLimit, monthlyQuota, sequence, event.rotatedAt());
    }

    /**
     * Renewal revives an expired key, never a revoked one, nor a secret rotated out: that one keeps the end the expiry
     * before the renewal gave it, so every expiry it has seen bounds it.
     */
    KeyView renewed(Instant newExpiresAt, Instant at, long sequence) {
        KeyStatus next = status == KeyStatus.EXPIRED ? KeyStatus.ACTIVE : status;
        Instant previousEnds = previousKeyValidUntil == null ? null
                : ApiKeyRotatedEvent.previousSecretEnds(previousKeyValidUntil, expiresAt);
        return new KeyView(keyId, developerId, name, hint, secretHash, scopes, next, createdAt, newExpiresAt,
                rotatedAt, previousEnds, revokedAt, revocationReason, rateLimit, monthlyQuota, sequence, at);
    }

    KeyView withRateLimit(RateLimit newRateLimit, Instant at, long sequence) {
        return new KeyView(keyId, developerId, name, hint, secretHash, scopes, status, createdAt, expiresAt,
                rotatedAt, previousKeyValidUntil, revokedAt, revocationReason, newRateLimit, monthlyQuota, sequence,
                at);
    }

    KeyView withMonthlyQuota(Long newMonthlyQuota, Instant at, long sequence) {
        return new KeyView(keyId, developerId, name, hint, secretHash, scopes, status, createdAt, expiresAt,
                rotatedAt, previousKeyValidUntil, revokedAt, revocationReason, rateLimit, newMonthlyQuota, sequence,
                at);
    }

    KeyView revoked(String reason, Instant at, long sequence) {
        return new KeyView(keyId, developerId, name, hint, secretHash, scopes, KeyStatus.REVOKED, createdAt,
                expiresAt, rotatedAt, previousKeyValidUntil, at, reason, rateLimit, monthlyQuota, sequence, at);
    }

    /** Revocation is final: a late expiry leaves a revoked key revoked. */
    KeyView expired(Instant at, long sequence) {
        KeyStatus next = status == KeyStatus.REVOKED ? KeyStatus.REVOKED : KeyStatus.EXPIRED;
        return new KeyView(keyId, developerId, name, hint, secretHash, scopes, next, createdAt, expiresAt,
                rotatedAt, previousKeyValidUntil, revokedAt, revocationReason, rateLimit, monthlyQuota, sequence, at);
    }
}
