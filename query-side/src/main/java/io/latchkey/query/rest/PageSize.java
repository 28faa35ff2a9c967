package io.latchkey.query.rest;

import io.latchkey.support.web.ProblemException;

/** The {@code limit} of a paged listing: a whole number from 1 to {@code max}; absent, {@code standard}. */
final class PageSize {

    private PageSize() {
    }

    static int parse(String limit, int standard, int max) {
        if (limit == null) {
            return standard;
        }
        if (limit.matches("[0-9]{1,9}")) {
            int size = Integer.parseInt(limit);
            if (size >= 1 && size <= max) {
                return size;
            }
        }
        throw new ProblemException(400, "invalid-limit", "Bad request",
                "limit must be a whole number from 1 to " + max + ".");
    }
}
