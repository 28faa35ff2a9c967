package io.latchkey.api.replica;

import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import java.time.Instant;
import java.util.List;

/**
 * What an edge knows about one secret hash: whose key it is, what it may do, until when, and the aggregate
 * sequence number ({@code version}) of the event that produced this state. {@code secretValidUntil} is set on
 * a secret superseded by rotation: it stops working at that instant even though the key lives on.
 * {@code rateLimit} is the effective limit (the key's own, else its developer's default, null for none);
 * {@code limitsVersion} is the developer aggregate's sequence number of the default it reflects (0 when none was
 * ever set), because a developer's default changes the entry without an event of the key.
 * {@code monthlyQuota} is the key's request quota per calendar month (UTC), 0 for none.
 */
public record ActiveKeyEntry(String keyId, String developerId, List<String> scopes, Instant expiresAt,
                             Instant secretValidUntil, KeyStatus status, long version, RateLimit rateLimit,
                             long limitsVersion, long monthlyQuota) {

    public ActiveKeyEntry {
        scopes = List.copyOf(scopes);
        if (monthlyQuota < 0) {
            throw new IllegalArgumentException("monthlyQuota must not be negative");
        }
    }

    /** An entry without a quota. */
    public ActiveKeyEntry(String keyId, String developerId, List<String> scopes, Instant expiresAt,
                          Instant secretValidUntil, KeyStatus status, long version, RateLimit rateLimit,
                          long limitsVersion) {
        this(keyId, developerId, scopes, expiresAt, secretValidUntil, status, version, rateLimit, limitsVersion, 0);
    }

    /** An entry reflecting no developer default and without a quota. */
    public ActiveKeyEntry(String keyId, String developerId, List<String> scopes, Instant expiresAt,
                          Instant secretValidUntil, KeyStatus status, long version, RateLimit rateLimit) {
        this(keyId, developerId, scopes, expiresAt, secretValidUntil, status, version, rateLimit, 0, 0);
    }

    /**
     * The entry that must survive when two replicas disagree: REVOKED always wins, then the higher version, then
     * the higher limitsVersion.
     */
    public static ActiveKeyEntry newer(ActiveKeyEntry a, ActiveKeyEntry b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        boolean aRevoked = a.status == KeyStatus.REVOKED;
        if (aRevoked != (b.status == KeyStatus.REVOKED)) {
            return aRevoked ? a : b;
        }
        if (b.version != a.version) {
            return b.version > a.version ? b : a;
        }
        return b.limitsVersion > a.limitsVersion ? b : a;
    }

    public ActiveKeyEntry withState(List<String> newScopes, Instant newExpiresAt, KeyStatus newStatus,
                                    long newVersion, RateLimit newRateLimit) {
        return new ActiveKeyEntry(keyId, developerId, newScopes, newExpiresAt, secretValidUntil, newStatus,
                newVersion, newRateLimit, limitsVersion, monthlyQuota);
    }

    /** This entry as a REVOKED tombstone at {@code newVersion}, its other fields as they are. */
    public ActiveKeyEntry revoked(long newVersion) {
        return withState(scopes, expiresAt, KeyStatus.REVOKED, newVersion, rateLimit);
    }

    public ActiveKeyEntry withSecretValidUntil(Instant validUntil, long newVersion) {
        return new ActiveKeyEntry(keyId, developerId, scopes, expiresAt, validUntil, status, newVersion, rateLimit,
                limitsVersion, monthlyQuota);
    }

    /** The compact binary form the replicated map holds (see {@link EntryCodec}). */
    public byte[] toBytes() {
        return EntryCodec.encode(this);
    }

    /** Reads every binary form ever written (formats 1 to 4). */
    public static ActiveKeyEntry fromBytes(byte[] data) {
        return EntryCodec.decode(data);
    }
}
