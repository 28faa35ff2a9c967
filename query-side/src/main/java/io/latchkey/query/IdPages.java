package io.latchkey.query;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.MongoTemplate;

/**
 * Reads a whole collection a page at a time, in order of id, each page a query of its own from the last id read. One
 * answer holding a large collection is more than either side takes: the driver refuses a reply over 48 MB (a snapshot
 * of about 117,000 keys), and the embedded store builds a query's whole answer in memory before it sends any of it. A
 * range of ids sorted by id alone is a walk of the id index in MongoDB and of the data map in the embedded store (any
 * other sort would sort the rest of the collection for every page). The collections read have string ids only: a
 * document with another type of id would be skipped.
 */
final class IdPages {

    /** Documents a page: a few hundred kilobytes of the states and views read this way. */
    static final int PAGE = 1_000;

    private IdPages() {
    }

    /** Hands every document of {@code collection} to {@code each}, read {@code page} at a time. */
    static <T> void forEach(MongoTemplate mongo, String collection, Class<T> type, Function<T, String> id, int page,
                            Consumer<? super T> each) {
        // Every string id sorts after the empty one.
        String after = "";
        List<T> documents;
        do {
            documents = mongo.find(query(where("_id").gt(after)).with(Sort.by("_id")).limit(page), type, collection);
            documents.forEach(each);
            if (!documents.isEmpty()) {
                after = id.apply(documents.get(documents.size() - 1));
            }
        } while (documents.size() == page);
    }
}
