package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.MongoTemplate;

/** A whole collection read a page at a time from the embedded store, over TCP. */
class IdPagesTest extends QuerySideTestSupport {

    private final String collection = "pages-" + UUID.randomUUID();

    @Autowired
    MongoTemplate mongo;

    @AfterEach
    void dropCollection() {
        mongo.dropCollection(collection);
    }

    private List<String> idsRead(int page) {
        List<String> read = new ArrayList<>();
        IdPages.forEach(mongo, collection, Document.class, document -> document.getString("_id"), page,
                document -> read.add(document.getString("_id")));
        return read;
    }

    @Test
    void everyDocumentIsReadOnceInOrderOfIdAcrossPages() {
        List<String> ids = IntStream.range(0, 10).mapToObj(i -> UUID.randomUUID().toString()).sorted().toList();
        // Inserted in reverse: the pages follow the ids, not the insertion.
        for (int i = ids.size() - 1; i >= 0; i--) {
            mongo.getCollection(collection).insertOne(new Document("_id", ids.get(i)));
        }

        assertThat(idsRead(3)).containsExactlyElementsOf(ids);
        assertThat(idsRead(5)).as("a last page that is full").containsExactlyElementsOf(ids);
        assertThat(idsRead(100)).containsExactlyElementsOf(ids);
    }

    @Test
    void aMissingCollectionReadsNothing() {
        assertThat(idsRead(3)).isEmpty();
    }
}
