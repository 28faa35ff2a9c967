package io.latchkey.api.replica;

import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * The binary forms of {@link ActiveKeyEntry}. Every edge decodes one on every request and holds a million of them,
 * so format 4 is small and read without streams: a flags byte says which optional fields follow, ids in the
 * server's canonical UUID form take 16 bytes instead of 38, and counters and lengths are varints (LEB128), so a typical
 * entry fits 48 bytes and its array 64. Formats 1–3 (a {@code DataOutputStream} record: 1 up to
 * the rate limit, 2 adding {@code limitsVersion}, 3 adding {@code monthlyQuota}) are still read, since members of an
 * older release may write them during an upgrade.
 *
 * <pre>
 * byte 4 | byte flags | byte status | var version | id keyId | id developerId | byte n, n × (var len, UTF-8 scope)
 * | [long expiresAt] | [long secretValidUntil] | [var limit, var periodSeconds] | [var burst] | [var limitsVersion]
 * | [var monthlyQuota]          id: 16-byte UUID when its flag is set, else var len + UTF-8
 * </pre>
 */
final class EntryCodec {

    private static final byte FORMAT = 4;
    /** The scope count is written as one byte; the REST layer allows far fewer (50). */
    static final int MAX_SCOPES = 255;
    private static final int EXPIRES = 1;
    private static final int VALID_UNTIL = 1 << 1;
    private static final int RATE_LIMIT = 1 << 2;
    private static final int BURST = 1 << 3;
    private static final int LIMITS_VERSION = 1 << 4;
    private static final int QUOTA = 1 << 5;
    private static final int KEY_ID_UUID = 1 << 6;
    private static final int DEVELOPER_ID_UUID = 1 << 7;
    private static final long LEGACY_NONE = Long.MIN_VALUE;
    private static final KeyStatus[] STATUSES = KeyStatus.values();
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private EntryCodec() {
    }

    static byte[] encode(ActiveKeyEntry entry) {
        Writer out = new Writer();
        UUID keyId = canonicalUuid(entry.keyId());
        UUID developerId = canonicalUuid(entry.developerId());
        int flags = (entry.expiresAt() != null ? EXPIRES : 0)
                | (entry.secretValidUntil() != null ? VALID_UNTIL : 0)
                | (entry.rateLimit() != null ? RATE_LIMIT : 0)
                | (entry.rateLimit() != null && entry.rateLimit().burst() != null ? BURST : 0)
                | (entry.limitsVersion() != 0 ? LIMITS_VERSION : 0)
                | (entry.monthlyQuota() != 0 ? QUOTA : 0)
                | (keyId != null ? KEY_ID_UUID : 0)
                | (developerId != null ? DEVELOPER_ID_UUID : 0);
        out.writeByte(FORMAT);
        out.writeByte(flags);
        out.writeByte(entry.status().ordinal());
        out.writeVarLong(entry.version());
        out.writeId(entry.keyId(), keyId);
        out.writeId(entry.developerId(), developerId);
        if (entry.scopes().size() > MAX_SCOPES) {
            // The count is one byte: refuse rather than write an entry that reads back with scopes missing.
            throw new IllegalArgumentException("an entry holds at most " + MAX_SCOPES + " scopes, not "
                    + entry.scopes().size());
        }
        out.writeByte(entry.scopes().size());
        for (String scope : entry.scopes()) {
            out.writeString(scope);
        }
        if (entry.expiresAt() != null) {
            out.writeLong(entry.expiresAt().toEpochMilli());
        }
        if (entry.secretValidUntil() != null) {
            out.writeLong(entry.secretValidUntil().toEpochMilli());
        }
        if (entry.rateLimit() != null) {
            out.writeVarLong(entry.rateLimit().limit());
            out.writeVarLong(entry.rateLimit().periodSeconds());
            if (entry.rateLimit().burst() != null) {
                out.writeVarLong(entry.rateLimit().burst());
            }
        }
        if (entry.limitsVersion() != 0) {
            out.writeVarLong(entry.limitsVersion());
        }
        if (entry.monthlyQuota() != 0) {
            out.writeVarLong(entry.monthlyQuota());
        }
        return out.toByteArray();
    }

    static ActiveKeyEntry decode(byte[] data) {
        if (data.length == 0) {
            throw new IllegalArgumentException("empty replica entry");
        }
        byte format = data[0];
        if (format == FORMAT) {
            return new Reader(data).entry();
        }
        if (format >= 1 && format < FORMAT) {
            return decodeLegacy(data, format);
        }
        throw new IllegalArgumentException("unknown replica entry format " + format);
    }

    /** The id as a UUID when its text is exactly that UUID's canonical form, else null (it is kept as text). */
    private static UUID canonicalUuid(String id) {
        if (id.length() != 36) {
            return null;
        }
        try {
            UUID uuid = UUID.fromString(id);
            return uuid.toString().equals(id) ? uuid : null;
        } catch (IllegalArgumentException notAUuid) {
            return null;
        }
    }

    private static final class Writer {
        private byte[] bytes = new byte[96];
        private int size;

        void writeByte(int value) {
            ensure(1);
            bytes[size++] = (byte) value;
        }

        void writeLong(long value) {
            ensure(Long.BYTES);
            LONG.set(bytes, size, value);
            size += Long.BYTES;
        }

        /** Unsigned LEB128: seven bits a byte, low bits first; small non-negative numbers take one byte. */
        void writeVarLong(long value) {
            ensure(10);
            while ((value & ~0x7fL) != 0) {
                bytes[size++] = (byte) (value & 0x7f | 0x80);
                value >>>= 7;
            }
            bytes[size++] = (byte) value;
        }

        void writeId(String id, UUID uuid) {
            if (uuid != null) {
                writeLong(uuid.getMostSignificantBits());
                writeLong(uuid.getLeastSignificantBits());
            } else {
                writeString(id);
            }
        }

        void writeString(String value) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            writeVarLong(utf8.length);
            ensure(utf8.length);
            System.arraycopy(utf8, 0, bytes, size, utf8.length);
            size += utf8.length;
        }

        byte[] toByteArray() {
            return Arrays.copyOf(bytes, size);
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }
    }

    /** Bounds are checked by the array accesses themselves: a truncated entry throws, it never reads garbage. */
    private static final class Reader {
        private final byte[] bytes;
        private int position = 1;

        Reader(byte[] bytes) {
            this.bytes = bytes;
        }

        ActiveKeyEntry entry() {
            int flags = bytes[position++] & 0xff;
            KeyStatus status = STATUSES[bytes[position++]];
            long version = readVarLong();
            String keyId = readId((flags & KEY_ID_UUID) != 0);
            String developerId = readId((flags & DEVELOPER_ID_UUID) != 0);
            String[] scopes = new String[bytes[position++] & 0xff];
            for (int i = 0; i < scopes.length; i++) {
                scopes[i] = readString();
            }
            Instant expiresAt = (flags & EXPIRES) != 0 ? Instant.ofEpochMilli(readLong()) : null;
            Instant secretValidUntil = (flags & VALID_UNTIL) != 0 ? Instant.ofEpochMilli(readLong()) : null;
            RateLimit rateLimit = null;
            if ((flags & RATE_LIMIT) != 0) {
                long limit = readVarLong();
                long period = readVarLong();
                rateLimit = new RateLimit(limit, period, (flags & BURST) != 0 ? readVarLong() : null);
            }
            long limitsVersion = (flags & LIMITS_VERSION) != 0 ? readVarLong() : 0;
            long monthlyQuota = (flags & QUOTA) != 0 ? readVarLong() : 0;
            if (position != bytes.length) {
                throw new IllegalArgumentException("replica entry has " + (bytes.length - position) + " extra bytes");
            }
            return new ActiveKeyEntry(keyId, developerId, List.of(scopes), expiresAt, secretValidUntil, status,
                    version, rateLimit, limitsVersion, monthlyQuota);
        }

        private long readLong() {
            long value = (long) LONG.get(bytes, position);
            position += Long.BYTES;
            return value;
        }

        private long readVarLong() {
            long value = 0;
            for (int shift = 0; shift < Long.SIZE; shift += 7) {
                byte b = bytes[position++];
                value |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return value;
                }
            }
            throw new IllegalArgumentException("replica entry varint longer than 10 bytes");
        }

        private String readId(boolean uuid) {
            return uuid ? new UUID(readLong(), readLong()).toString() : readString();
        }

        private String readString() {
            int length = Math.toIntExact(readVarLong());
            String value = new String(bytes, position, length, StandardCharsets.UTF_8);
            position += length;
            return value;
        }
    }

    private static ActiveKeyEntry decodeLegacy(byte[] data, byte format) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            in.readByte();
            long version = in.readLong();
            KeyStatus status = STATUSES[in.readByte()];
            String keyId = in.readUTF();
            String developerId = in.readUTF();
            int scopeCount = in.readByte();
            List<String> scopes = new ArrayList<>(scopeCount);
            for (int i = 0; i < scopeCount; i++) {
                scopes.add(in.readUTF());
            }
            Instant expiresAt = legacyInstant(in.readLong());
            Instant secretValidUntil = legacyInstant(in.readLong());
            RateLimit rateLimit = null;
            if (in.readBoolean()) {
                long limit = in.readLong();
                long period = in.readLong();
                long burst = in.readLong();
                rateLimit = new RateLimit(limit, period, burst == LEGACY_NONE ? null : burst);
            }
            long limitsVersion = format == 1 ? 0 : in.readLong();
            long monthlyQuota = format < 3 ? 0 : in.readLong();
            return new ActiveKeyEntry(keyId, developerId, scopes, expiresAt, secretValidUntil, status, version,
                    rateLimit, limitsVersion, monthlyQuota);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Instant legacyInstant(long millis) {
        return millis == LEGACY_NONE ? null : Instant.ofEpochMilli(millis);
    }
}
