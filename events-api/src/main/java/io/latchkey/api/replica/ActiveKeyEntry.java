package io.latchkey.api.replica;

import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
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

    /** 1: up to the rate limit; 2: adds {@code limitsVersion}; 3: adds {@code monthlyQuota}. All are read. */
    private static final byte FORMAT = 3;
    private static final long NONE = Long.MIN_VALUE;

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

    public ActiveKeyEntry withSecretValidUntil(Instant validUntil, long newVersion) {
        return new ActiveKeyEntry(keyId, developerId, scopes, expiresAt, validUntil, status, newVersion, rateLimit,
                limitsVersion, monthlyQuota);
    }

    /** A compact binary form for the replicated map: far smaller than Java serialization. */
    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(96);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeLong(version);
            out.writeByte(status.ordinal());
            out.writeUTF(keyId);
            out.writeUTF(developerId);
            out.writeByte(scopes.size());
            for (String scope : scopes) {
                out.writeUTF(scope);
            }
            out.writeLong(expiresAt == null ? NONE : expiresAt.toEpochMilli());
            out.writeLong(secretValidUntil == null ? NONE : secretValidUntil.toEpochMilli());
            out.writeBoolean(rateLimit != null);
            if (rateLimit != null) {
                out.writeLong(rateLimit.limit());
                out.writeLong(rateLimit.periodSeconds());
                out.writeLong(rateLimit.burst() == null ? NONE : rateLimit.burst());
            }
            out.writeLong(limitsVersion);
            out.writeLong(monthlyQuota);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static ActiveKeyEntry fromBytes(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            byte format = in.readByte();
            if (format < 1 || format > FORMAT) {
                throw new IllegalArgumentException("unknown replica entry format " + format);
            }
            long version = in.readLong();
            KeyStatus status = KeyStatus.values()[in.readByte()];
            String keyId = in.readUTF();
            String developerId = in.readUTF();
            int scopeCount = in.readByte();
            List<String> scopes = new ArrayList<>(scopeCount);
            for (int i = 0; i < scopeCount; i++) {
                scopes.add(in.readUTF());
            }
            Instant expiresAt = instant(in.readLong());
            Instant secretValidUntil = instant(in.readLong());
            RateLimit rateLimit = null;
            if (in.readBoolean()) {
                long limit = in.readLong();
                long period = in.readLong();
                long burst = in.readLong();
                rateLimit = new RateLimit(limit, period, burst == NONE ? null : burst);
            }
            long limitsVersion = format == 1 ? 0 : in.readLong();
            long monthlyQuota = format < 3 ? 0 : in.readLong();
            return new ActiveKeyEntry(keyId, developerId, scopes, expiresAt, secretValidUntil, status, version,
                    rateLimit, limitsVersion, monthlyQuota);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Instant instant(long millis) {
        return millis == NONE ? null : Instant.ofEpochMilli(millis);
    }
}
