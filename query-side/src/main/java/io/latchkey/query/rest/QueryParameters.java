package io.latchkey.query.rest;

import io.latchkey.support.web.ProblemException;
import java.util.List;
import java.util.Map;

/**
 * Refuses a query parameter a route does not take, which would otherwise be ignored: {@code ?start=} for
 * {@code ?from=} would quietly answer about the last hour. Its name is not repeated: it may be a pasted key.
 */
final class QueryParameters {

    private QueryParameters() {
    }

    static void only(Map<String, ?> parameters, List<String> known) {
        if (!known.containsAll(parameters.keySet())) {
            throw new ProblemException(400, "unknown-parameter", "Bad request",
                    "A query parameter this route does not take was given; it takes "
                            + (known.isEmpty() ? "none" : String.join(", ", known)) + ".");
        }
    }
}
