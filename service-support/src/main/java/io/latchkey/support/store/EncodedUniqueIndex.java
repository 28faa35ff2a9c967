package io.latchkey.support.store;

import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.ObjectId;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.ObjectDataType;

/**
 * A unique index whose entries are keyed by a string encoding of the indexed values. The plain backend keys its map by
 * the values' {@link KeyValue}, which H2 can only compare by serializing both sides with Java serialization, at every
 * step of every search: an append to the event collection searched three such indexes twice each, and those
 * serializations were most of what the command side allocated under load. A key here is encoded once per operation
 * and compared as a string.
 *
 * <p>Two keys are the same entry exactly when the plain index would find them the same: same classes and equal values
 * (its comparison of serialized forms). The common value types are written as a type letter and their bits; any other
 * value as its serialized form, made by the same {@link ObjectDataType#serialize} the plain index compares.
 */
final class EncodedUniqueIndex extends AbstractUniqueIndex<Object> {

    private final MVMap<String, Object> entries;
    private final String plainMap;

    /** {@code plainMap}: the name under which the plain backend keeps this index, which this one replaces. */
    EncodedUniqueIndex(MVMap<String, Object> entries, String plainMap, String name, List<IndexKey> keys,
                       boolean sparse) {
        super(name, keys, sparse);
        this.entries = entries;
        this.plainMap = plainMap;
    }

    /**
     * True when the entries cannot be trusted for a collection of {@code documents}: the plain backend's map of the
     * index is still there (a first start on this code, or a build cut short), or the entries are not one per
     * document, the likely trace of a crash between a document's write and its entry's.
     * A sparse index, which skips documents, has no count to check and is trusted as the plain backend trusts its own.
     */
    boolean needsBuild(long documents) {
        return entries.getStore().hasMap(plainMap) || !isSparse() && entries.sizeAsLong() != documents;
    }

    /** Empties the index so that the store builds it from its collection when attaching it. */
    void clear() {
        entries.clear();
    }

    /** Once this index is built: the plain backend's map of it is stale from now on, and would be trusted. */
    void retirePlainMap() {
        MVStore store = entries.getStore();
        if (store.hasMap(plainMap)) {
            store.removeMap(openedAsPlain(store, plainMap));
        }
    }

    /**
     * A map of the plain backend's, opened as it opens them. {@code removeMap(name)} would open one it finds closed
     * with H2's generic types, which cannot compare keys: the background writer compacting the map's pages meanwhile
     * then fails, and closes the store (a first start on a store of a release before these indexes, now and then).
     */
    static MVMap<Object, Object> openedAsPlain(MVStore store, String name) {
        return store.openMap(name);
    }

    @Override
    protected Object removeDocument(KeyValue keyValue) {
        return entries.remove(encode(keyValue));
    }

    @Override
    protected boolean putKeyPosition(KeyValue keyValue, Object position) {
        return entries.putIfAbsent(encode(keyValue), Missing.ofNullable(position)) == null;
    }

    @Override
    protected Object getPosition(KeyValue keyValue) {
        return entries.get(encode(keyValue));
    }

    /**
     * Only a regular expression on a single-field index walks the entries, and it reads single strings only, so the
     * others are not decoded.
     */
    @Override
    protected Iterable<Map.Entry<KeyValue, Object>> getIterable() {
        return () -> entries.entrySet().stream().filter(entry -> entry.getKey().startsWith("s"))
                .<Map.Entry<KeyValue, Object>>map(entry -> new AbstractMap.SimpleImmutableEntry<>(
                        decode(entry.getKey()), entry.getValue()))
                .iterator();
    }

    @Override
    public long getCount() {
        return entries.sizeAsLong();
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    public void drop() {
        entries.getStore().removeMap(entries);
    }

    /** Each value as a type letter and a fixed-length or length-prefixed body, so no encoding is a prefix of another. */
    static String encode(KeyValue keyValue) {
        StringBuilder key = new StringBuilder(48);
        for (Object value : keyValue) {
            Class<?> type = value == null ? null : value.getClass();
            if (type == null) {
                key.append('n');
            } else if (type == String.class) {
                String string = (String) value;
                appendInt(key.append('s'), string.length()).append(string);
            } else if (type == Long.class) {
                appendLong(key.append('l'), (Long) value);
            } else if (type == Integer.class) {
                appendInt(key.append('i'), (Integer) value);
            } else if (type == Double.class) {
                appendLong(key.append('d'), Double.doubleToLongBits((Double) value));
            } else if (type == Boolean.class) {
                key.append((Boolean) value ? 'T' : 'F');
            } else if (value instanceof Missing) {
                key.append('m');
            } else if (type == ObjectId.class) {
                appendBytes(key.append('o'), ((ObjectId) value).toByteArray());
            } else {
                appendBytes(key.append('x'), ObjectDataType.serialize(value));
            }
        }
        return key.toString();
    }

    static KeyValue decode(String key) {
        List<Object> values = new ArrayList<>(2);
        int at = 0;
        while (at < key.length()) {
            char type = key.charAt(at++);
            switch (type) {
                case 'n' -> values.add(null);
                case 's' -> {
                    int length = readInt(key, at);
                    values.add(key.substring(at + 2, at + 2 + length));
                    at += 2 + length;
                }
                case 'l' -> {
                    values.add(readLong(key, at));
                    at += 4;
                }
                case 'i' -> {
                    values.add(readInt(key, at));
                    at += 2;
                }
                case 'd' -> {
                    values.add(Double.longBitsToDouble(readLong(key, at)));
                    at += 4;
                }
                case 'T', 'F' -> values.add(type == 'T');
                case 'm' -> values.add(Missing.getInstance());
                case 'o', 'x' -> {
                    int length = readInt(key, at);
                    byte[] bytes = key.substring(at + 2, at + 2 + length).getBytes(StandardCharsets.ISO_8859_1);
                    values.add(type == 'o' ? new ObjectId(bytes) : ObjectDataType.deserialize(bytes));
                    at += 2 + length;
                }
                default -> throw new IllegalStateException("Not an encoded index key: type " + (int) type);
            }
        }
        return new KeyValue(values);
    }

    private static StringBuilder appendInt(StringBuilder key, int value) {
        return key.append((char) (value >>> 16)).append((char) value);
    }

    private static StringBuilder appendLong(StringBuilder key, long value) {
        return key.append((char) (value >>> 48)).append((char) (value >>> 32)).append((char) (value >>> 16))
                .append((char) value);
    }

    /** One byte a character, so the body is as long as the bytes. */
    private static void appendBytes(StringBuilder key, byte[] bytes) {
        appendInt(key, bytes.length).append(new String(bytes, StandardCharsets.ISO_8859_1));
    }

    private static int readInt(String key, int at) {
        return key.charAt(at) << 16 | key.charAt(at + 1);
    }

    private static long readLong(String key, int at) {
        return (long) key.charAt(at) << 48 | (long) key.charAt(at + 1) << 32 | (long) key.charAt(at + 2) << 16
                | key.charAt(at + 3);
    }
}
