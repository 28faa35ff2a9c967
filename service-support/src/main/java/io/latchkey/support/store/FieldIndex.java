package io.latchkey.support.store;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A non-unique index, which the store otherwise accepts and ignores, so that every query on such a field scans the
 * whole collection under its lock. It orders documents by the index's first field, then its second, in an H2 map of
 * the store's own file. It names the candidates of a query with an equality on a string, a date, a long or an int, or
 * a range of strings, of dates or of longs and ints, on the first field (at the top of the query or in a top-level
 * {@code $and}); numbers only while no document has held another kind of number there since the store opened
 * (MongoDB compares a double with a long, and doubles are not in the index). With an equality there, an equality on
 * the second field or a range of its strings, dates, longs or ints narrows them further: an aggregate's events from a
 * sequence on. The store's matcher then checks the whole query, sorts and limits, so this only ever needs to name
 * every document that can match. First-field values of other types are left out, which no such condition can match:
 * MongoDB compares within a type (numbers apart). Array elements are indexed one by one, as a multikey index does.
 * Positions are the documents' {@code _id}s, which the H2 collection keys them by. A query sorted by the first field
 * can also be read in that order a batch at a time ({@link #walkInOrder}, {@link OrderedWalk}): a tracking fetch, by
 * position ({@link EventPositions}).
 *
 * <p>A document and its entry are two writes, and the store commits on its own about once a second, so a crash can
 * leave the file with the one and not the other. So the collection re-adds every document when it attaches the index
 * (at every start), which heals a missing entry; an entry whose document is gone or changed only names a candidate
 * that the matcher drops.
 */
final class FieldIndex extends Index<Object> {

    private static final Logger log = LoggerFactory.getLogger(FieldIndex.class);

    private static final String ID = "_id";
    private static final char STRING = 's';
    private static final char DATE = 'd';
    private static final char NUMBER = 'n';
    /** A second field's value of any type it does not order, or none: sorts before the others. */
    private static final String OTHER = "a";
    /** Ends a string value: sorts below every character, which is why a {@code \0} inside a value is escaped. */
    private static final String END = "\0\0";
    private static final String OBJECT_ID = ObjectId.class.getName() + ":ObjectId[";
    /** The operators of a range condition. */
    static final Set<String> RANGE = Set.of("$gte", "$gt", "$lte", "$lt");

    /**
     * Entry keys are the first field's encoded value, {@link #END}, with a second field its encoded value and
     * {@link #END}, then the position; the value is the position itself.
     */
    private final MVMap<String, Object> entries;
    private final String field;
    /** The index's second key when it is a plain top-level field too, else null. */
    private final String second;
    /**
     * Whether any document added had an array in an indexed field; only ever set, and right after a start, when the
     * collection has re-added every document. Such a document sorts by one element and may be walked past at another.
     */
    private volatile boolean multikey;
    /**
     * Whether every document added had a single string in the first field, so that the walk of the strings is every
     * document in the collection's sort order on that field. Only ever cleared: at a start, when the collection
     * re-adds every document, or by a document added since.
     */
    private volatile boolean onlyStrings = true;
    /**
     * Whether any document added had a number other than a long or an int in the first field, which a numeric
     * condition may match but the index does not hold; only ever set, as {@link #multikey} is.
     */
    private volatile boolean inexactNumbers;

    FieldIndex(MVMap<String, Object> entries, String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
        this.entries = entries;
        this.field = keys.get(0).getKey();
        this.second = keys.size() > 1 && plain(keys.get(1)) ? keys.get(1).getKey() : null;
    }

    /** Whether the first key is a plain top-level field, the only kind this index reads. */
    static boolean supports(List<IndexKey> keys) {
        return !keys.isEmpty() && plain(keys.get(0));
    }

    private static boolean plain(IndexKey key) {
        return key.getKey().matches("[^.$][^.]*");
    }

    @Override
    public boolean canHandle(Document query) {
        return walks(query) != null;
    }

    /**
     * The candidates' entries (key and position), lazily and in the order {@code orderBy} asks for, when the walk
     * alone gives that order, so that a caller may stop once it has enough: an equality on the first field, a range
     * or equality on the second that bounds the walk to one type, the sort ascending on the second field alone, no
     * {@link #OTHER} values under that first value, and no array in either field since the store opened. Null
     * otherwise. An entry may be stale (see above): the caller keeps a document only where it is {@link #filedAt}.
     */
    Iterator<Map.Entry<String, Object>> inOrder(Document query, Document orderBy) {
        List<String[]> walks = second == null || multikey || orderBy == null
                || !orderBy.equals(new Document(second, 1)) ? null : walks(query);
        return walks == null || walks.size() != 2 || entriesIn(walks.get(0)).hasNext() ? null
                : entriesIn(walks.get(1));
    }

    /**
     * The entry keys, from (inclusive) to (exclusive), whose walk meets every document the query can match in the order
     * {@code orderBy} asks for, up to ties within one encoded first-field value (a {@link #group}); null when it does
     * not. That is a sort ascending on the first field, by whatever after it; no array in the field since the store
     * opened; and a condition on the first field that bounds it, or none when every document holds a string there
     * (strings sort as one type, and every document is then in the walk).
     */
    String[] walkInOrder(Document query, Document orderBy) {
        if (multikey || orderBy == null || orderBy.isEmpty() || !field.equals(orderBy.keySet().iterator().next())
                || !(orderBy.get(field) instanceof Number direction) || direction.intValue() != 1) {
            return null;
        }
        String[] bounded = firstBounds(query);
        return bounded != null ? bounded
                : onlyStrings ? new String[] {String.valueOf(STRING), String.valueOf((char) (STRING + 1))} : null;
    }

    /**
     * The entries from {@code from} (inclusive) to {@code to} (exclusive), lazily, in key order, each walk on the
     * store's current version: a walk a caller resumes later starts again where it stopped, not from an old root.
     */
    Iterator<Map.Entry<String, Object>> entries(String from, String to) {
        return entriesIn(new String[] {from, to});
    }

    /** An entry key's first-field value, encoded: entries of equal values, in the order of the walk, share it. */
    static String group(String entryKey) {
        return entryKey.substring(0, entryKey.indexOf(END));
    }

    /** Whether the query requires one value of the first field: this index then names only that value's documents. */
    boolean narrowsToOneValue(Document query) {
        return firstEquality(query) != null;
    }

    /** Whether this index's map is gone: the index, or its collection, was dropped. */
    boolean isDropped() {
        return entries.isClosed();
    }

    /** Whether the document holds an array in the first field, which files it once per element. */
    boolean holdsArray(Document document) {
        return document.get(field) instanceof Collection<?>;
    }

    /** Whether {@code key} is one of the document's current entries, not one it left behind. */
    boolean filedAt(String key, Document document, Object position) {
        return keys(document, Missing.ofNullable(position)).contains(key);
    }

    @Override
    public Iterable<Object> getPositions(Document query) {
        // A document with an array may be named once per element.
        Set<Object> positions = new LinkedHashSet<>();
        for (String[] range : Objects.requireNonNull(walks(query))) {
            entriesIn(range).forEachRemaining(entry -> positions.add(entry.getValue()));
        }
        return positions;
    }

    /** The entries from {@code range[0]} (inclusive) to {@code range[1]} (exclusive), lazily, in key order. */
    private Iterator<Map.Entry<String, Object>> entriesIn(String[] range) {
        Cursor<String, Object> walk = entries.cursor(range[0]);
        return new Iterator<>() {
            private String next = advance();

            private String advance() {
                String key = walk.hasNext() ? walk.next() : null;
                return key != null && key.compareTo(range[1]) < 0 ? key : null;
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public Map.Entry<String, Object> next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                Map.Entry<String, Object> entry = Map.entry(next, walk.getValue());
                next = advance();
                return entry;
            }
        };
    }

    /** The position of a document without an id comes as null: the collection keys it under {@link Missing}. */
    @Override
    public void add(Document document, Object position, MongoCollection<Object> collection) {
        Object stored = Missing.ofNullable(position);
        for (String key : keys(document, stored)) {
            // Unchanged when present, so that re-adding a whole collection rewrites nothing.
            entries.putIfAbsent(key, stored);
        }
    }

    /** The document's position, as the collection keys it: its id, or {@link Missing} when it has none. */
    @Override
    public Object remove(Document document) {
        Object position = Missing.ofNullable(document.get(ID));
        keys(document, position).forEach(entries::remove);
        return position;
    }

    @Override
    public void updateInPlace(Document oldDocument, Document newDocument, Object position,
                              MongoCollection<Object> collection) {
        Object stored = Missing.ofNullable(position);
        List<String> before = keys(oldDocument, stored);
        List<String> after = keys(newDocument, stored);
        // New entries first: a count, which runs without the collection's lock, then sees the document under one. An
        // entry the update leaves as it was is not written again: most updates change no indexed field (a key's new
        // scopes or secret leave its developerId), and each put is a write to the store's file.
        after.stream().filter(key -> !before.contains(key)).forEach(key -> entries.put(key, stored));
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

    /**
     * This index's entry keys for a document: one per value of its first field, times one per value of its second
     * (each followed by {@link #END}) when it has one.
     */
    private List<String> keys(Document document, Object position) {
        List<String> prefixes = new ArrayList<>(1);
        Object value = document.get(field);
        if (!(value instanceof String)) {
            onlyStrings = false;
        }
        values(value, false, prefixes);
        if (second != null) {
            List<String> seconds = new ArrayList<>(1);
            values(document.get(second), true, seconds);
            if (seconds.isEmpty()) {
                seconds.add(OTHER);
            }
            prefixes = prefixes.stream().flatMap(first -> seconds.stream().map(then -> first + END + then)).toList();
        }
        String at = END + position(position);
        return prefixes.stream().map(prefix -> prefix + at).toList();
    }

    /**
     * A field's encoded values, array elements one by one; in a second field ({@code orOther}) with every value this
     * index does not order as {@link #OTHER}.
     */
    private void values(Object value, boolean orOther, List<String> encoded) {
        if (value instanceof Collection<?> elements) {
            multikey = true;
            elements.forEach(element -> values(element, orOther, encoded));
            return;
        }
        if (!orOther && !inexactNumbers && value instanceof Number
                && !(value instanceof Long || value instanceof Integer)) {
            inexactNumbers = true;
            log.warn("Index {} now leaves numeric conditions to a scan until the store restarts: a document holds {} "
                    + "in its first field", getName(), value.getClass().getSimpleName());
        }
        String one = encode(value, true);
        one = one == null && orOther ? OTHER : one;
        if (one != null && !encoded.contains(one)) {
            encoded.add(one);
        }
    }

    /** A position as part of an entry key: unique per position, its type tagged. */
    static String position(Object position) {
        if (position instanceof String id) {
            return STRING + id;
        }
        // The same text as the general form below, without ObjectId.toString's String.format for each byte: events
        // have ObjectId positions, and every append and every fetch by position names a few.
        if (position.getClass() == ObjectId.class) {
            return OBJECT_ID + HexFormat.of().formatHex(((ObjectId) position).toByteArray()) + ']';
        }
        return position.getClass().getName() + ':' + position;
    }

    /**
     * A value in an order that {@link String#compareTo} keeps: strings as themselves (their {@code \0}s escaped, so
     * {@link #END} sorts below any continuation), dates as offset-binary milliseconds in fixed-width hex, those beyond
     * a long's milliseconds at its ends (the order kept, so still every candidate), and longs and ints ({@code
     * numbers}) the same way. Null for every other type: MongoDB compares doubles and decimals with longs, so a second
     * field's doubles and decimals go to {@link #OTHER}, which every walk of it includes, and a first field's leave its
     * numeric conditions unanswered ({@link #inexactNumbers}).
     */
    private static String encode(Object value, boolean numbers) {
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
            return ordered(DATE, millis);
        }
        if (numbers && (value instanceof Long || value instanceof Integer)) {
            return ordered(NUMBER, ((Number) value).longValue());
        }
        return null;
    }

    private static String ordered(char tag, long value) {
        return tag + String.format("%016x", value ^ Long.MIN_VALUE);
    }

    /**
     * The ranges of entry keys, each from (inclusive) to (exclusive), that hold every document the query's conditions
     * can match, or null when it has no condition on the first field that this index answers. An equality on the first
     * field narrows by a condition on the second, plus that field's {@link #OTHER} values.
     */
    private List<String[]> walks(Document query) {
        String equal = firstEquality(query);
        if (equal == null) {
            String[] range = firstBounds(query);
            return range == null ? null : List.<String[]>of(range);
        }
        String prefix = equal + END;
        String[] then = second == null ? null : conditions(query, second).map(condition -> bounds(condition, true))
                .filter(Objects::nonNull).findFirst().orElse(null);
        if (then == null) {
            return List.<String[]>of(new String[] {prefix, prefix + Character.MAX_VALUE});
        }
        return List.of(new String[] {prefix + OTHER + END, prefix + OTHER + END + Character.MAX_VALUE},
                new String[] {prefix + then[0], prefix + then[1]});
    }

    /** The encoded value the query requires of the first field, or null when it requires none this index encodes. */
    private String firstEquality(Document query) {
        boolean numbers = !inexactNumbers;
        return conditions(query, field).map(condition -> equality(condition, numbers)).filter(Objects::nonNull)
                .findFirst().orElse(null);
    }

    /** The entry keys a condition of the query on the first field bounds ({@link #bounds}), or null when none does. */
    private String[] firstBounds(Document query) {
        boolean numbers = !inexactNumbers;
        return conditions(query, field).map(condition -> bounds(condition, numbers)).filter(Objects::nonNull)
                .findFirst().orElse(null);
    }

    /** The encoded value a condition requires equality with, or null when it is not such an equality. */
    private static String equality(Object condition, boolean numbers) {
        if (condition instanceof Document operators && operators.size() == 1 && operators.containsKey("$eq")) {
            condition = operators.get("$eq");
        }
        return encode(condition, numbers);
    }

    /**
     * The query's conditions on a field, at its top and in each clause of a top-level {@code $and}; all of them must
     * hold, so any one may bound the walk.
     */
    static Stream<Object> conditions(Document query, String name) {
        Stream<Object> top = query.containsKey(name) ? Stream.of(query.get(name)) : Stream.empty();
        Stream<Object> clauses = query.get("$and") instanceof List<?> all
                ? all.stream().filter(clause -> clause instanceof Document conjunct && conjunct.containsKey(name))
                        .map(clause -> ((Document) clause).get(name))
                : Stream.empty();
        return Stream.concat(top, clauses);
    }

    /**
     * The encoded values from (inclusive) to (exclusive) that every value the condition can match lies between, or
     * null when this index cannot bound it: an equality on a value it encodes, or a range of strings, of dates or
     * ({@code numbers}) of longs and ints. Date bounds are widened to whole milliseconds.
     */
    private static String[] bounds(Object condition, boolean numbers) {
        String equal = equality(condition, numbers);
        if (equal != null) {
            return new String[] {equal + END, equal + END + Character.MAX_VALUE};
        }
        if (!(condition instanceof Document range) || range.isEmpty() || !RANGE.containsAll(range.keySet())) {
            return null;
        }
        char tag;
        if (range.values().stream().allMatch(bound -> bound instanceof Instant)) {
            tag = DATE;
        } else if (range.values().stream().allMatch(bound -> bound instanceof String)) {
            tag = STRING;
        } else if (numbers && range.values().stream().allMatch(bound -> bound instanceof Long
                || bound instanceof Integer)) {
            tag = NUMBER;
        } else {
            return null;
        }
        String from = String.valueOf(tag);
        String to = String.valueOf((char) (tag + 1));
        for (Map.Entry<String, Object> bound : range.entrySet()) {
            String at = encode(bound.getValue(), numbers);
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
