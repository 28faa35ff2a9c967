package io.latchkey.support.store;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DocumentWithPosition;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import de.bwaldvogel.mongo.wire.message.MongoQuery;
import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The H2 backend, with every collection finding documents by {@code _id} without a scan ({@link KeyedCollection}) and
 * by the fields of a non-unique index without one ({@link FieldIndex}), and answering a query sorted by such an
 * index's first field a batch at a time ({@link OrderedWalk}), as a tracking fetch reads the events by position.
 * The plain store ignores non-unique indexes, so every such query scans the whole collection while holding the
 * collection's lock, and appends, which take the same lock, wait behind those scans. Unique indexes compare their keys
 * as strings ({@link EncodedUniqueIndex}), not by serializing them, documents are stored as BSON ({@link
 * BsonDocumentType}), and object ids, as keys and as indexes' positions, as their bytes ({@link CompactObjectIdType}).
 * Every other query is the backend's own. The file is the plain backend's but for those
 * (docs/architecture.md, "The store's file across releases"): it reads a plain backend's file, and a plain backend
 * cannot read one written here.
 */
final class IndexedH2Backend extends H2Backend {

    private static final Logger log = LoggerFactory.getLogger(IndexedH2Backend.class);
    /**
     * The error code a request gets once H2 has closed the store: one of no MongoDB server's, which the driver neither
     * retries nor takes for a server's state change, so that the request fails at once and its service can answer 503
     * ({@link StoreUnavailableAdvice}).
     */
    static final int CLOSED_CODE = -75;

    /** Run as the backend closes, once the server has stopped serving: no client writes after it. */
    private Runnable beforeClose;

    /**
     * H2Backend's constructor opens the stored databases through {@link #openOrCreateDatabase} before this class's
     * field initializers would run, so this class keeps no state they would set.
     */
    IndexedH2Backend(String file) {
        super(file);
    }

    /** A backend on a store opened by the caller, for tests that set the store up first. */
    IndexedH2Backend(MVStore store) {
        super(store);
    }

    @Override
    public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
        return holdingVersion(() -> super.handleCommand(channel, databaseName, command, query));
    }

    /**
     * Once H2 has closed the store (after a failed write, which its process logged before it exits) every request that
     * reaches the store fails; each would otherwise be logged by the server with its stack ("Unknown error!") and
     * answered as an unknown error, which services take for a fault of theirs.
     */
    @Override
    public Document handleMessage(MongoMessage message) {
        try {
            return super.handleMessage(message);
        } catch (RuntimeException e) {
            if (!getMvStore().isClosed()) {
                throw e;
            }
            String reason = "the embedded store was closed after a write to its file failed; its process exits to "
                    + "open it again";
            return new Document("$err", reason).append("errmsg", reason).append("code", CLOSED_CODE)
                    .append("codeName", "StoreClosed").append("ok", 0);
        }
    }

    @Override
    public QueryResult handleQuery(MongoQuery query) {
        return holdingVersion(() -> super.handleQuery(query));
    }

    /**
     * A release that finds the store locked (a commit under way) leaves moving the oldest version to keep to the next
     * commit, and closing makes none when nothing changed; so, with the background writer stopped, one release that
     * finds the store unlocked moves it before the store closes, as closing expects.
     */
    @Override
    public void close() {
        MVStore store = getMvStore();
        store.setAutoCommitDelay(0);
        try {
            if (beforeClose != null && !store.isClosed()) {
                beforeClose.run();
            }
        } catch (RuntimeException e) {
            // The store closes and commits all the same; the marker it could not write makes the next start count a
            // crash, which only costs a replay.
            log.warn("Could not mark the store's clean stop; its next start counts a crash", e);
        } finally {
            store.deregisterVersionUsage(store.registerVersionUsage());
            super.close();
        }
    }

    void beforeClose(Runnable action) {
        this.beforeClose = action;
    }

    /**
     * Runs a request (or a database's opening, which builds indexes from whole collections) holding the store's
     * current version, as H2's own transactions do; mongo-java-server does not. A scan reads a map as of the root it
     * started from, and H2 drops a chunk whose pages have all moved, by a later write or by compaction, a few commits
     * after that unless a version in use still needs it (and once it is older than the retention time, 45 s from
     * its writing). A scan that outlasted those commits would read a chunk that is gone: "Chunk 281 not found".
     */
    private <T> T holdingVersion(Supplier<T> request) {
        MVStore store = getMvStore();
        MVStore.TxCounter version = store.registerVersionUsage();
        try {
            return request.get();
        } finally {
            store.deregisterVersionUsage(version);
        }
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return holdingVersion(() -> new Database(databaseName, getMvStore(), getCursorRegistry()));
    }

    /** Opens collections as H2Database does (same map names), as {@link KeyedCollection}s. */
    private final class Database extends H2Database {

        Database(String name, MVStore store, CursorRegistry cursors) {
            super(name, store, cursors);
        }

        @Override
        protected MongoCollection<Object> openOrCreateCollection(String name, CollectionOptions options) {
            String namespace = getFullCollectionNamespace(name);
            MVStore store = IndexedH2Backend.this.getMvStore();
            // An event's _id is an ObjectId, which H2's own key type reads and writes with Java serialization on
            // every page of the events' keys, which the background writer also rewrites as it compacts the file.
            MVMap<Object, Document> data = store.openMap("databases." + namespace, new MVMap.Builder<Object, Document>()
                    .keyType(new CompactObjectIdType()).valueType(new BsonDocumentType()));
            MVMap<String, Object> meta = store.openMap("meta." + namespace);
            return new KeyedCollection(this, name, options, data, meta, cursorRegistry);
        }

        /**
         * Unique indexes as {@link EncodedUniqueIndex}es, in a map of their own whose name no database's drop takes
         * for its own. It replaces the plain backend's map of the index (see {@link KeyedCollection#addIndex}).
         */
        @Override
        protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                        boolean sparse) {
            String namespace = getFullCollectionNamespace(collectionName);
            MVMap<String, Object> entries = IndexedH2Backend.this.getMvStore()
                    .openMap("latchkey$unique.1." + namespace + "$" + indexName, indexEntries());
            return new EncodedUniqueIndex(entries, namespace + "._index_" + indexName, indexName, keys, sparse);
        }

        /**
         * Non-unique indexes as {@link FieldIndex}es, except on the store's own collections (not keyed by
         * {@code _id}).
         */
        @Override
        protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName,
                                                          List<IndexKey> keys, boolean sparse) {
            if (!FieldIndex.supports(keys) || collectionName.startsWith("system.")) {
                return super.openOrCreateSecondaryIndex(collectionName, indexName, keys, sparse);
            }
            // No collection or database name holds a '$'. The number is the entry keys' format (a new one takes a new
            // map); values carry their own tags (CompactObjectIdType).
            MVMap<String, Object> entries = IndexedH2Backend.this.getMvStore()
                    .openMap("latchkey.index.2." + getFullCollectionNamespace(collectionName) + "$" + indexName,
                            indexEntries());
            return new FieldIndex(entries, indexName, keys, sparse);
        }
    }

    /** An index's entries: encoded keys to the documents' positions, an event's written as its 12 bytes. */
    static MVMap.Builder<String, Object> indexEntries() {
        return new MVMap.Builder<String, Object>().valueType(new CompactObjectIdType());
    }

    /**
     * A collection that finds documents by {@code _id} without a scan whenever a query bounds it, also alongside other
     * conditions. The store uses its {@code _id} index only for equality, {@code $in} or a pattern on {@code _id}
     * alone, so the read models' conditional upserts ({@code _id} and a version check) and range reads ({@code _id}
     * from, to) would otherwise scan the whole collection under its lock. The data map is keyed by {@code _id}, and
     * orders string keys as the store's matcher compares strings ({@link String#compareTo}), so a string id is a
     * direct get and a range of strings a walk from its lower bound; the matcher then checks the whole query.
     */
    private static class KeyedCollection extends H2Collection {

        private static final String ID = "_id";

        private final MVMap<Object, Document> data;
        /** The data map's order of positions: the order in which a scan meets the documents. */
        private final Comparator<Object> natural;

        KeyedCollection(MongoDatabase database, String name, CollectionOptions options, MVMap<Object, Document> data,
                        MVMap<String, Object> meta, CursorRegistry cursors) {
            super(database, name, options, data, meta, cursors);
            this.data = data;
            this.natural = data.getKeyType()::compare;
        }

        /**
         * A query that bounds {@code _id} reads the data map, else a unique index, else a non-unique one, else the
         * collection. The store would take the first index that accepts the query, in the order they were attached,
         * which after a restart is random: a {@code developerId} walk where one lookup would do.
         */
        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int numberToReturn,
                                             int batchSize, Document fieldSelector) {
            Stream<Document> candidates = !ID.equals(getIdField()) || isNaturalDescending(orderBy) ? null
                    : candidates(query);
            if (candidates != null) {
                // The walk goes up the ids in the order a sort by _id puts them (the data map and the store's sort
                // both order strings by String.compareTo): sorting would read the rest of the range to answer the
                // first of it, which a sweep that steps from key to key asks for.
                return matchDocumentsFromStream(candidates, query, isIdAscending(orderBy) ? null : orderBy,
                        numberToSkip, numberToReturn, batchSize, fieldSelector);
            }
            List<Index<Object>> naming = getIndexes().stream().filter(index -> index.canHandle(query)).toList();
            QueryResult walked = walked(query, orderBy, numberToSkip, numberToReturn, batchSize, fieldSelector,
                    naming);
            if (walked != null) {
                return walked;
            }
            // A unique index first, then an equality on a non-unique index's first field, then a range.
            Index<Object> index = naming.stream()
                    .min(Comparator.comparing((Index<Object> candidate) -> !candidate.isUnique())
                            .thenComparing(candidate -> !(candidate instanceof FieldIndex field
                                    && field.narrowsToOneValue(query))))
                    .orElse(null);
            if (index == null) {
                return matchDocuments(query, orderBy, numberToSkip, numberToReturn, batchSize, fieldSelector);
            }
            FieldIndex fields = numberToReturn > 0 && index instanceof FieldIndex field ? field : null;
            Iterator<Map.Entry<String, Object>> ordered = fields == null ? null : fields.inOrder(query, orderBy);
            if (ordered != null) {
                int needed = (int) Math.min(Integer.MAX_VALUE, (long) Math.max(0, numberToSkip) + numberToReturn);
                return matchDocumentsFromStream(firstMatches(fields, ordered, query, orderBy, needed), query, orderBy,
                        numberToSkip, numberToReturn, batchSize, fieldSelector);
            }
            return matchDocuments(query, index.getPositions(query), orderBy, numberToSkip, numberToReturn, batchSize,
                    fieldSelector);
        }

        /**
         * A query sorted by a non-unique index's first field, answered a batch at a time in the index's order
         * ({@link OrderedWalk}), unless another index names its candidates (an equality elsewhere may name far fewer
         * than the walk reads) or it projects fields (the store's projection is not open to this package); else null.
         * {@code naming} are the indexes that can name the query's candidates.
         */
        private QueryResult walked(Document query, Document orderBy, int numberToSkip, int numberToReturn,
                                   int batchSize, Document fieldSelector, List<Index<Object>> naming) {
            if (fieldSelector != null && !fieldSelector.isEmpty()) {
                return null;
            }
            for (Index<Object> index : getIndexes()) {
                boolean alone = naming.isEmpty() || naming.size() == 1 && naming.get(0) == index;
                String[] range = alone && index instanceof FieldIndex fields ? fields.walkInOrder(query, orderBy)
                        : null;
                if (range != null) {
                    OrderedWalk walk = new OrderedWalk(cursorRegistry.generateCursorId(), (FieldIndex) index, range,
                            query, deriveComparator(orderBy), natural, this::getDocument,
                            numberToSkip, numberToReturn);
                    List<Document> first = walk.takeDocuments(batchSize);
                    if (walk.isEmpty()) {
                        return new QueryResult(first);
                    }
                    cursorRegistry.add(walk);
                    return new QueryResult(first, walk);
                }
            }
            return null;
        }

        /**
         * The first {@code needed} documents that match, from entries already in the query's order, and any that tie
         * with the last of them, so that the store's own sort and limit over these pick what they would over all: a
         * page of a long stream reads the page, not the rest of the stream. A document counts only at its current
         * entry, so a stale one neither moves it nor names it twice.
         */
        private Stream<Document> firstMatches(FieldIndex index, Iterator<Map.Entry<String, Object>> ordered,
                                              Document query, Document orderBy, int needed) {
            Comparator<Document> order = deriveComparator(orderBy);
            List<Document> found = new ArrayList<>(Math.min(needed, 1_024));
            while (ordered.hasNext()) {
                Map.Entry<String, Object> entry = ordered.next();
                Document document = getDocument(entry.getValue());
                if (document == null || !index.filedAt(entry.getKey(), document, entry.getValue())
                        || !documentMatchesQuery(document, query)) {
                    continue;
                }
                if (found.size() >= needed && order.compare(found.get(found.size() - 1), document) != 0) {
                    break;
                }
                found.add(document);
            }
            return found.stream();
        }

        /**
         * As the store does, except that a document gone since an index named it (a count runs unlocked) is skipped,
         * and that a sorted query's candidates are first put in natural order (the data map's): the order {@code
         * $natural} asks for, and for any other sort the order in which a scan would have met the ties it keeps.
         */
        @Override
        protected QueryResult matchDocuments(Document query, Iterable<Object> positions, Document orderBy,
                                             int numberToSkip, int numberToReturn, int batchSize,
                                             Document fieldSelector) {
            Stream<Object> found = StreamSupport.stream(positions.spliterator(), false);
            if (orderBy != null && !orderBy.isEmpty()) {
                found = found.sorted(isNaturalDescending(orderBy) ? natural.reversed() : natural);
            }
            return matchDocumentsFromStream(found.map(this::getDocument).filter(Objects::nonNull), query, orderBy,
                    numberToSkip, numberToReturn, batchSize, fieldSelector);
        }

        /**
         * Adding an index reads every document into it, so not while documents are being written. A {@link FieldIndex}
         * re-reads them whenever it is attached, at every start too (see there), in one pass; the store's own build
         * reads them twice and only into an index it finds empty, so an {@link EncodedUniqueIndex} it cannot trust
         * is emptied for it. The plain backend's map of that index is removed only once the build has succeeded. A
         * build that fails (documents that break the constraint) fails the database's opening, which the plain backend
         * logs and tries again on the next request; the emptied index is built again then.
         */
        @Override
        public synchronized void addIndex(Index<Object> index) {
            boolean attached = getIndexes().stream().anyMatch(known -> known.getName().equals(index.getName()));
            EncodedUniqueIndex unique = !attached && index instanceof EncodedUniqueIndex encoded ? encoded : null;
            if (unique != null && unique.needsBuild(data.sizeAsLong())) {
                unique.clear();
            }
            if (index instanceof FieldIndex fields && !attached) {
                try (Stream<DocumentWithPosition<Object>> all = streamAllDocumentsWithPosition()) {
                    all.forEach(stored -> fields.add(stored.getDocument(), stored.getPosition(), this));
                }
            }
            super.addIndex(index);
            if (unique != null) {
                unique.retirePlainMap();
            }
        }

        @Override
        public synchronized void dropIndex(String indexName) {
            super.dropIndex(indexName);
        }

        private static boolean isIdAscending(Document orderBy) {
            return orderBy != null && orderBy.size() == 1 && orderBy.get(ID) instanceof Number direction
                    && direction.intValue() == 1;
        }

        /** Found by a condition on {@code _id} at the top of the query or in a top-level {@code $and}, else null. */
        private Stream<Document> candidates(Document query) {
            return FieldIndex.conditions(query, ID).map(this::byId).filter(Objects::nonNull).findFirst().orElse(null);
        }

        /** Every document the condition on {@code _id} can admit, in key order; null when it bounds nothing. */
        private Stream<Document> byId(Object condition) {
            if (condition instanceof String id) {
                return Stream.ofNullable(data.get(id));
            }
            if (!(condition instanceof Document range) || range.isEmpty()
                    || !FieldIndex.RANGE.containsAll(range.keySet())) {
                return null;
            }
            Object lower = range.containsKey("$gte") ? range.get("$gte") : range.get("$gt");
            Object upper = range.containsKey("$lte") ? range.get("$lte") : range.get("$lt");
            if (!(lower instanceof String from) || upper != null && !(upper instanceof String)) {
                return null;
            }
            String to = (String) upper;
            Cursor<Object, Document> walk = data.cursor(from);
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(walk, Spliterator.ORDERED), false)
                    .takeWhile(key -> key instanceof String id && (to == null || id.compareTo(to) <= 0))
                    .map(key -> walk.getValue());
        }
    }
}
