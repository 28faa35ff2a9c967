package io.latchkey.support.store;

import de.bwaldvogel.mongo.backend.AbstractCursor;
import de.bwaldvogel.mongo.backend.DefaultQueryMatcher;
import de.bwaldvogel.mongo.backend.QueryMatcher;
import de.bwaldvogel.mongo.bson.Document;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The answer to a query sorted by a {@link FieldIndex}'s first field, read from that index in its order as the client
 * asks for batches, as MongoDB answers one from an index. The store's own answer finds and sorts every match before
 * the first batch: a tracking fetch (the events after a position, by position, read a batch at a time) then costs
 * every event from that position to the head, so a replay of a long log costs the square of its length.
 *
 * <p>It reads the entries one first-field value at a time (a group: entries in one group are ties as far as the walk
 * can tell), puts a group's documents in the collection's order, as a scan meets them, keeps those the query matches
 * and sorts them with the store's comparator, so that ties come out as the store's sort of a scan puts them. Entries
 * whose document is gone or has changed are passed over, and so is a document that holds an array in the first field:
 * none did when the walk began (or the index would not offer it), so it was written since, which a cursor need not
 * see, and its entries, one per element, would name it more than once. A later batch (a getMore) walks again from the
 * next group on the store's version of that moment: no H2 cursor is held between requests, since its pages could be
 * dropped.
 */
final class OrderedWalk extends AbstractCursor {

    private final FieldIndex index;
    private final String to;
    private final Document query;
    private final Comparator<Document> order;
    private final Comparator<Object> positionOrder;
    private final Function<Object, Document> documents;
    /** The store's matcher, one of the walk's own: a getMore runs without the collection's lock. */
    private final QueryMatcher matcher = new DefaultQueryMatcher();
    private final Deque<Document> ready = new ArrayDeque<>();
    /** The first entry key not yet read, or null once the walk has reached its end. */
    private String from;
    private int toSkip;
    private long toReturn;

    /**
     * @param range         from (inclusive) and to (exclusive), as {@link FieldIndex#walkInOrder} gives them
     * @param positionOrder the collection's order of positions, the order a scan meets documents in
     * @param documents     a position's document, null when it is gone
     * @param limit         at most this many documents, none when 0 or less
     */
    OrderedWalk(long id, FieldIndex index, String[] range, Document query, Comparator<Document> order,
                Comparator<Object> positionOrder, Function<Object, Document> documents, int skip, int limit) {
        super(id);
        this.index = index;
        this.from = range[0];
        this.to = range[1];
        this.query = query;
        this.order = order;
        this.positionOrder = positionOrder;
        this.documents = documents;
        this.toSkip = Math.max(0, skip);
        this.toReturn = limit > 0 ? limit : Long.MAX_VALUE;
    }

    /** The next {@code count} documents, all that are left when {@code count} is 0 or less (the store's own rule). */
    @Override
    public synchronized List<Document> takeDocuments(int count) {
        int wanted = count > 0 ? count : Integer.MAX_VALUE;
        fill(wanted);
        List<Document> taken = new ArrayList<>(Math.min(wanted, ready.size()));
        while (taken.size() < wanted && !ready.isEmpty()) {
            taken.add(ready.poll());
        }
        return taken;
    }

    @Override
    public synchronized boolean isEmpty() {
        fill(1);
        return ready.isEmpty();
    }

    /** Reads whole groups until {@code wanted} documents are ready or the walk ends. */
    private void fill(int wanted) {
        if (from != null && index.isDropped()) {
            // Its collection or the index itself was dropped since: nothing is left to read.
            from = null;
        }
        if (from == null || ready.size() >= wanted) {
            return;
        }
        Iterator<Map.Entry<String, Object>> walk = index.entries(from, to);
        Map.Entry<String, Object> next = walk.hasNext() ? walk.next() : null;
        while (next != null && ready.size() < wanted && toReturn > 0) {
            String group = FieldIndex.group(next.getKey());
            List<Map.Entry<String, Object>> entries = new ArrayList<>(1);
            do {
                entries.add(next);
                next = walk.hasNext() ? walk.next() : null;
            } while (next != null && FieldIndex.group(next.getKey()).equals(group));
            accept(entries);
        }
        from = next == null || toReturn == 0 ? null : next.getKey();
    }

    private void accept(List<Map.Entry<String, Object>> group) {
        group.sort(Map.Entry.comparingByValue(positionOrder));
        List<Document> found = new ArrayList<>(group.size());
        Object previous = null;
        for (Map.Entry<String, Object> entry : group) {
            // An array in the second field files a document once per element, all in one group.
            if (entry.getValue().equals(previous)) {
                continue;
            }
            previous = entry.getValue();
            Document document = documents.apply(entry.getValue());
            if (document != null && index.filedAt(entry.getKey(), document, entry.getValue())
                    && !index.holdsArray(document) && matcher.matches(document, query)) {
                found.add(document);
            }
        }
        found.sort(order);
        for (Document document : found) {
            if (toSkip > 0) {
                toSkip--;
            } else if (toReturn > 0) {
                ready.add(document);
                toReturn--;
            }
        }
    }
}
