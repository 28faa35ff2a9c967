package io.latchkey.support.store;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.Document;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;

/**
 * A non-unique index, which the store otherwise accepts and ignores, so that every query on such a field scans the
 * whole collection under its lock. It orders documents by the index's first field in an H2 map of the store's own
 * file. It names candidates for an equality on a string or a date, or a range of dates, on that field (at the top of a
 * query or in a top-level {@code $and}); the store's matcher then checks the whole query, sorts and limits, so it only
 * ever needs to name every document that can match. Values of other types are left out, which no such condition can
 * match: MongoDB compares within a type. Array elements are indexed one by one, as a multikey index does. Positions are
 * the documents' {@code _id}s, which the H2 collection keys them by.
 *
 * <p>A document and its entry are two writes, and the store commits on its own about once a second, so a crash can
 * leave the file with the one and not the other. So the collection re-adds every document when it attaches the index
 * (at every start), which heals a missing entry; an entry whose document is gone or changed only names a candidate
 * that the matcher drops.
 */
final class FieldIndex extends Index<Object> {

    private static final String ID = "_id";
    private static final char STRING = 's';
    private static final char DATE = 'd';
    /** Ends a string value: sorts below every character, which is why a {@code \0} inside a value is escaped. */
    private static final String END = "\0\0";
    private static final Set<String> RANGE = Set.of("$gte", "$gt", "$lte", "$lt");

    /** Entry keys are the encoded value, {@link #END}, then the position; the value is the position itself. */
    private final MVMap<String, Object> entries;
    private final String field;

    FieldIndex(MVMap<String, Object> entries, String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
        this.entries = entries;
        this.field = keys.get(0).getKey();
    }

    /** Whether the first key is a plain top-level field, the only kind this index reads. */
    static boolean supports(List<IndexKey> keys) {
        return !keys.isEmpty() && keys.get(0).getKey().matches("[^.$][^.]*");
    }

    @Override
    public boolean canHandle(Document query) {
        return bounds(query) != null;
    }

    @Override
    public Iterable<Object> getPositions(Document query) {
        String[] bounds = Objects.requireNonNull(bounds(query));
        // A document with an array may be named once per element.
        Set<Object> positions = new LinkedHashSet<>();
        Cursor<String, Object> walk = entries.cursor(bounds[0]);
        while (walk.hasNext() && walk.next().compareTo(bounds[1]) < 0) {
            positions.add(walk.getValue());
        }
        return positions;
    }

    /** The position of a document without an id comes as null: the collection keys it under {@link Missing}. */
    @Override
    public void add(Document document, Object position, MongoCollection<Object> collection) {
        Object stored = Missing.ofNullable(position);
        for (String key : keys(document.get(field), stored)) {
            // Unchanged when present, so that re-adding a whole collection rewrites nothing.
            entries.putIfAbsent(key, stored);
        }
    }

    /** The document's position, as the collection keys it: its id, or {@link Missing} when it has none. */
    @Override
    public Object remove(Document document) {
        Object position = Missing.ofNullable(document.get(ID));
        keys(document.get(field), position).forEach(entries::remove);
        return position;
    }

    @Override
    public void updateInPlace(Document oldDocument, Document newDocument, Object position,
                              MongoCollection<Object> collection) {
        Object stored = Missing.ofNullable(position);
        List<String> before = keys(oldDocument.get(field), stored);
        List<String> after = keys(newDocument.get(field), stored);
        // New entries first: a count, which runs without the collection's lock, then sees the document under one.
        after.forEach(key -> entries.put(key, stored));
        before.stream().filter(key -> !after.contains(key)).forEach(entries::remove);
    }

    @Override
    public Object getPosition(Document document) {
        return null;
    }

    @Override
    public void checkAdd(Document document, MongoCollection<Object> collection) {
        // Not unique: nothing to refuse.
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<Object> collection) {
        // Not unique: nothing to refuse.
    }

    @Override
    public long getCount() {
        return entries.sizeAsLong();
    }

    /** Not measured: the entries live in the store's file, paged in and out by H2. */
    @Override
    public long getDataSize() {
        return 0;
    }

    @Override
    public void drop() {
        entries.getStore().removeMap(entries);
    }

    /** This index's entry keys for a document whose field holds {@code value}. */
    private static List<String> keys(Object value, Object position) {
        List<String> keys = new ArrayList<>(1);
        addKeys(value, position(position), keys);
        return keys;
    }

    private static void addKeys(Object value, String position, List<String> keys) {
        if (value instanceof Collection<?> elements) {
            elements.forEach(element -> addKeys(element, position, keys));
            return;
        }
        String encoded = encode(value);
        if (encoded != null && !keys.contains(encoded + END + position)) {
            keys.add(encoded + END + position);
        }
    }

    /** A position as part of an entry key: unique per position, its type tagged. */
    private static String position(Object position) {
        return position instanceof String id ? STRING + id : position.getClass().getName() + ':' + position;
    }

    /**
     * A value in an order that {@link String#compareTo} keeps: strings as themselves (their {@code \0}s escaped, so
     * {@link #END} sorts below any continuation), dates as offset-binary milliseconds in fixed-width hex, those beyond
     * a long's milliseconds at its ends (the order kept, so still every candidate). Null for every other type.
     */
    private static String encode(Object value) {
        if (value instanceof String text) {
            return STRING + text.replace("\0", "\0\1");
        }
        if (value instanceof Instant date) {
            long millis;
            try {
                millis = date.toEpochMilli();
            } catch (ArithmeticException beyondMillis) {
                millis = date.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
            }
            return DATE + String.format("%016x", millis ^ Long.MIN_VALUE);
        }
        return null;
    }

    /**
     * The entry keys from (inclusive) and to (exclusive) that hold every document the query's condition on the field
     * can match, or null when it has none this index answers. Date bounds are widened to whole milliseconds.
     */
    private String[] bounds(Document query) {
        String[] bounds = bounds(query.get(field), query.containsKey(field));
        if (bounds == null && query.get("$and") instanceof List<?> clauses) {
            for (Object clause : clauses) {
                bounds = clause instanceof Document conjunct ? bounds(conjunct.get(field), conjunct.containsKey(field))
                        : null;
                if (bounds != null) {
                    break;
                }
            }
        }
        return bounds;
    }

    private static String[] bounds(Object condition, boolean present) {
        if (!present) {
            return null;
        }
        if (condition instanceof Document operators && operators.size() == 1 && operators.containsKey("$eq")) {
            condition = operators.get("$eq");
        }
        String equal = encode(condition);
        if (equal != null) {
            return new String[] {equal + END, equal + END + Character.MAX_VALUE};
        }
        if (!(condition instanceof Document range) || range.isEmpty() || !RANGE.containsAll(range.keySet())
                || !range.values().stream().allMatch(bound -> bound instanceof Instant)) {
            return null;
        }
        String from = String.valueOf(DATE);
        String to = String.valueOf((char) (DATE + 1));
        for (Map.Entry<String, Object> bound : range.entrySet()) {
            String at = encode(bound.getValue());
            if (at == null) {
                return null;
            }
            if (bound.getKey().startsWith("$g")) {
                from = at.compareTo(from) > 0 ? at : from;
            } else {
                String past = at + END + Character.MAX_VALUE;
                to = past.compareTo(to) < 0 ? past : to;
            }
        }
        return new String[] {from, to};
    }
}
