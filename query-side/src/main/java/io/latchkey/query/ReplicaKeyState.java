package io.latchkey.query;

import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyRotatedEvent;
import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the replica projection remembers about one key: its state and every secret hash it ever had.
 * {@code retiredSecrets} maps each hash rotated out to the instant it stops working; {@code version} is the
 * sequence number of the last event applied.
 */
record ReplicaKeyState(String developerId, List<String> scopes, Instant expiresAt, KeyStatus status,
                       RateLimit rateLimit, long monthlyQuota, String secretHash, Map<String, Instant> retiredSecrets,
                       long version) {

    /**
     * One state is held for every key the log ever created: the developer's id and the scope names, which many keys
     * share, point at one instance each (interned, so unused ones still go) instead of each event's own copy. A
     * developer with one key saves nothing by it.
     */
    ReplicaKeyState {
        developerId = developerId.intern();
        String[] shared = new String[scopes.size()];
        for (int i = 0; i < shared.length; i++) {
            shared[i] = scopes.get(i).intern();
        }
        scopes = List.of(shared);
        retiredSecrets = Map.copyOf(retiredSecrets);
    }

    static ReplicaKeyState created(ApiKeyCreatedEvent event, long sequence) {
        return new ReplicaKeyState(event.developerId(), event.scopes(), event.expiresAt(), KeyStatus.ACTIVE,
                event.rateLimit(), 0, event.secretHash(), Map.of(), sequence);
    }

    ReplicaKeyState withScopes(List<String> newScopes, long sequence) {
        return new ReplicaKeyState(developerId, newScopes, expiresAt, status, rateLimit, monthlyQuota, secretHash,
                retiredSecrets, sequence);
    }

    /**
     * Renewal revives an expired key, never a revoked one, nor a secret rotated out: each keeps the end the expiry
     * before the renewal gave it, so every expiry it has seen bounds it.
     */
    ReplicaKeyState renewed(Instant newExpiresAt, long sequence) {
        KeyStatus next = status == KeyStatus.EXPIRED ? KeyStatus.ACTIVE : status;
        Map<String, Instant> retired = new HashMap<>(retiredSecrets);
        retired.replaceAll((hash, until) -> ApiKeyRotatedEvent.previousSecretEnds(until, expiresAt));
        return new ReplicaKeyState(developerId, scopes, newExpiresAt, next, rateLimit, monthlyQuota, secretHash,
                retired, sequence);
    }

    ReplicaKeyState withRateLimit(RateLimit newRateLimit, long sequence) {
        return new ReplicaKeyState(developerId, scopes, expiresAt, status, newRateLimit, monthlyQuota, secretHash,
                retiredSecrets, sequence);
    }

    ReplicaKeyState withMonthlyQuota(Long newMonthlyQuota, long sequence) {
        return new ReplicaKeyState(developerId, scopes, expiresAt, status, rateLimit,
                newMonthlyQuota == null ? 0 : newMonthlyQuota, secretHash, retiredSecrets, sequence);
    }

    ReplicaKeyState revoked(long sequence) {
        return new ReplicaKeyState(developerId, scopes, expiresAt, KeyStatus.REVOKED, rateLimit, monthlyQuota,
                secretHash, retiredSecrets, sequence);
    }

    /** Revocation is final: a late expiry leaves a revoked key revoked. */
    ReplicaKeyState expired(long sequence) {
        KeyStatus next = status == KeyStatus.REVOKED ? KeyStatus.REVOKED : KeyStatus.EXPIRED;
        return new ReplicaKeyState(developerId, scopes, expiresAt, next, rateLimit, monthlyQuota, secretHash,
                retiredSecrets, sequence);
    }

    /**
     * The previous secret works until the event's grace ends; a secret rotated out earlier keeps its own end, or the
     * event's {@code earlierSecretsValidUntil} if that is sooner (the rotation itself, for events stored before). The
     * previous secret's end is no later than the key's expiry as it stood at the rotation, as the rotation's answer
     * said: events stored before 2026-12-05 kept the grace's own end, which a later renewal would otherwise have
     * revived (an earlier secret's own end was capped so at its own rotation).
     */
    ReplicaKeyState rotated(ApiKeyRotatedEvent event, long sequence) {
        Map<String, Instant> retired = new HashMap<>();
        retiredSecrets.forEach((hash, until) -> retired.put(hash, event.earlierSecretValidUntil(until)));
        // The current secret is the event's previous one; retiring it first keeps every hash tracked regardless.
        retired.put(secretHash, event.rotatedAt());
        retired.put(event.previousSecretHash(),
                ApiKeyRotatedEvent.previousSecretEnds(event.previousSecretValidUntil(), expiresAt));
        return new ReplicaKeyState(developerId, scopes, expiresAt, status, rateLimit, monthlyQuota,
                event.secretHash(), retired, sequence);
    }

    /**
     * One entry per hash the key ever had, each carrying this state and version, and as its limit the key's own or
     * else {@code developerDefault} (whose developer-event sequence number is {@code limitsVersion}).
     */
    Map<KeyHash, ActiveKeyEntry> entries(String keyId, RateLimit developerDefault, long limitsVersion) {
        Map<KeyHash, ActiveKeyEntry> entries = new LinkedHashMap<>();
        ActiveKeyEntry current = new ActiveKeyEntry(keyId, developerId, scopes, expiresAt, null, status, version,
                rateLimit != null ? rateLimit : developerDefault, limitsVersion, monthlyQuota);
        entries.put(new KeyHash(secretHash), current);
        retiredSecrets.forEach((hash, until) ->
                entries.put(new KeyHash(hash), current.withSecretValidUntil(until, version)));
        return entries;
    }
}
