package io.latchkey.support.web;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.latchkey.validator.servlet.PresentedKey;
import java.time.temporal.Temporal;
import java.util.Collection;
import java.util.regex.Pattern;
import org.springframework.http.converter.HttpMessageNotReadableException;

/**
 * How request bodies are read, and what a client is told when one cannot be. A misspelt field must not pass for an
 * absent one (a {@code gracePeriod} read as no grace period, an {@code expires_at} as a key that never expires), a
 * fraction must not be cut to a whole number, and an empty time must not pass for no time. The answer names the
 * field and what it takes, never the value sent, which may be a secret.
 */
final class RequestBodies {

    /** Far longer than any field Latchkey takes; a longer string is refused before it is held whole. */
    static final int MAX_STRING_LENGTH = 64 * 1024;
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");

    private RequestBodies() {
    }

    /** A copy of the application's mapper that reads request bodies strictly; it writes as the original does. */
    static ObjectMapper strict(ObjectMapper mapper) {
        ObjectMapper strict = mapper.copy()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        strict.coercionConfigFor(LogicalType.DateTime)
                .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        strict.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(MAX_STRING_LENGTH).build());
        return strict;
    }

    /** What the client did wrong, in words that name no value it sent. */
    static String detail(HttpMessageNotReadableException e) {
        // The cause, not the root cause: a time that does not parse is wrapped, with its field, around the parser's.
        Throwable cause = e.getCause();
        if (cause == null) {
            return "A JSON body is required.";
        }
        if (e.getMostSpecificCause() instanceof StreamConstraintsException) {
            String field = cause instanceof JsonMappingException mapping ? path(mapping, 0) : "";
            return (field.isEmpty() ? "A value" : field) + " is longer than " + MAX_STRING_LENGTH + " characters.";
        }
        if (cause instanceof UnrecognizedPropertyException unknown) {
            String name = unknown.getPropertyName();
            String field = path(unknown, 1);
            String known = String.join(", ",
                    unknown.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList());
            String named = plain(name) ? "Unknown field '" + (field.isEmpty() ? "" : field + ".") + name + "'"
                    : "An unknown field";
            return named + (known.isEmpty() ? "." : "; the fields here are " + known + ".");
        }
        if (cause instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            return path(mapping, 0) + " must be " + expected(mapping) + ".";
        }
        if (cause instanceof StreamReadException read && read.getLocation() != null) {
            JsonLocation at = read.getLocation();
            String where = " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ").";
            return cause instanceof InputCoercionException ? "A number in the body is out of range" + where
                    : "The body is not valid JSON" + where;
        }
        return "The body is not this request's JSON.";
    }

    /** The field's path, as {@code rateLimit.limit} or {@code scopes[0]}, leaving out the last {@code skip} parts. */
    private static String path(JsonMappingException e, int skip) {
        StringBuilder path = new StringBuilder();
        var references = e.getPath();
        for (int i = 0; i < references.size() - skip; i++) {
            JsonMappingException.Reference reference = references.get(i);
            if (reference.getFieldName() != null) {
                String name = plain(reference.getFieldName()) ? reference.getFieldName() : "?";
                path.append(path.isEmpty() ? "" : ".").append(name);
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static String expected(JsonMappingException e) {
        Class<?> type = e instanceof MismatchedInputException mismatch ? mismatch.getTargetType() : null;
        if (type == null) {
            return "of another type";
        }
        if (Temporal.class.isAssignableFrom(type)) {
            return "an ISO-8601 instant such as 2030-01-01T00:00:00Z";
        }
        if (type == Long.class || type == Integer.class || type == long.class || type == int.class) {
            return "a whole number";
        }
        if (type == String.class) {
            return "text";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        return "an object";
    }

    /** A name that can be repeated to the client: plain, and holding no key. */
    private static boolean plain(String name) {
        return PLAIN_NAME.matcher(name).matches() && !PresentedKey.holdsKey(name);
    }
}
