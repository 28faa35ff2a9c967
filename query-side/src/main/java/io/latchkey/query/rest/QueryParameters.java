package io.latchkey.query.rest;

import io.latchkey.api.TimeBounds;
import io.latchkey.support.web.ProblemException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.springframework.util.MultiValueMap;

/**
 * Query parameters as the routes read them. A parameter a route does not take is refused, as it would otherwise be
 * ignored: {@code ?start=} for {@code ?from=} would quietly answer about the last hour. Its name is not repeated: it
 * may be a pasted key. One given twice names no one value, and is refused by its name, which is then the route's.
 * Instants ({@code asOf}, {@code from}, {@code to}) are read one way for every route.
 */
final class QueryParameters {

    private QueryParameters() {
    }

    static void only(MultiValueMap<String, String> parameters, List<String> known) {
        if (!known.containsAll(parameters.keySet())) {
            throw new ProblemException(400, "unknown-parameter", "Bad request",
                    "A query parameter this route does not take was given; it takes "
                            + (known.isEmpty() ? "none" : String.join(", ", known)) + ".");
        }
        for (String name : known) {
            if (parameters.getOrDefault(name, List.of()).size() > 1) {
                throw new ProblemException(400, "repeated-parameter", "Bad request",
                        name + " was given more than once; give it once.");
            }
        }
    }

    /** The answer to parameters that name no instant {@link #instant} takes, every one of them named. */
    static ProblemException unreadable(List<String> names) {
        return new ProblemException(400, "invalid-time", "Bad request", String.join(" and ", names)
                + (names.size() == 1 ? " must be an ISO-8601 instant" : " must be ISO-8601 instants")
                + " from 1970 to 9999, such as 2030-01-01T00:00:00Z.");
    }

    /**
     * The instant {@code text} names, as {@link #instant} reads it, and not after {@code now}: 400 {@code invalid-time}
     * for none or a later one, saying what to do {@code instead}.
     */
    static Instant past(String name, String text, Instant now, String instead) {
        Instant at = instant(text);
        if (at == null) {
            throw unreadable(List.of(name));
        }
        if (at.isAfter(now)) {
            throw new ProblemException(400, "invalid-time", "Bad request",
                    name + " must not be in the future; " + instead);
        }
        return at;
    }

    /**
     * The instant {@code text} names within {@link TimeBounds} (further out, an hour or a minute's arithmetic would
     * overflow), to the millisecond as the store records events; null for none or one that is not such.
     */
    static Instant instant(String text) {
        if (text == null) {
            return null;
        }
        try {
            // With Z or an offset, as the command side takes an expiry; an offset's '+' sent unescaped in a query
            // arrives as a space, which an ISO-8601 time never holds.
            Instant at = OffsetDateTime.parse(text.replace(' ', '+')).toInstant().truncatedTo(ChronoUnit.MILLIS);
            return TimeBounds.holds(at) ? at : null;
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
