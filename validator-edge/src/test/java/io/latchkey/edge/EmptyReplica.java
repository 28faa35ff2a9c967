package io.latchkey.edge;

import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyHash;
import io.latchkey.validator.KeyReplica;
import java.time.Instant;

/** A replica that holds no key, complete or still filling, for tests of what the routes do around a decision. */
record EmptyReplica(boolean isReady, Instant asOf) implements KeyReplica {

    @Override
    public ActiveKeyEntry lookup(KeyHash hash) {
        return null;
    }

    @Override
    public int size() {
        return 0;
    }
}
