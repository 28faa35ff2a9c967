package io.latchkey.support.store;

import com.mongodb.client.MongoClient;

/**
 * The MongoDB client of Axon's own components (the token store, the event storage engine): the projections' path to
 * the store. Not a {@link MongoClient} bean, so that Spring Boot still makes its own for the requests.
 *
 * @param owned whether closing this closes the client: not when it is the one the process's store is served with
 */
record AxonStoreClient(MongoClient client, boolean owned) implements AutoCloseable {

    @Override
    public void close() {
        if (owned) {
            client.close();
        }
    }
}
