package io.latchkey.support.web;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.latchkey.validator.servlet.PresentedKey;
import java.io.IOException;
import java.lang.reflect.Type;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.Temporal;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.http.converter.json.MappingJackson2HttpMessageConverter;

/**
 * How request bodies are read, and what a client is told when one cannot be. A misspelt field must not pass for an
 * absent one (a {@code gracePeriod} read as no grace period, an {@code expires_at} as a key that never expires), a
 * fraction must not be cut to a whole number, an empty string must not pass for no value, a number must not come as
 * text nor text as a number (a quoted {@code " 5 "} read as a quota of 5), a field sent twice must not mean its last
 * value, and nothing may follow the body's value. The answer names the field and what it takes, never the value sent,
 * which may be a secret.
 */
final class RequestBodies {

    /** Far longer than any field Latchkey takes; a longer string is refused before it is held whole. */
    static final int MAX_STRING_LENGTH = 64 * 1024;
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");
    /** How Jackson's parser begins its message about a field sent twice, the field's name next. */
    private static final String DUPLICATE = "Duplicate field '";

    private RequestBodies() {
    }

    /** A copy of the application's mapper that reads request bodies strictly. */
    static ObjectMapper strict(ObjectMapper mapper) {
        ObjectMapper strict = mapper.copy()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        strict.coercionConfigDefaults().setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        for (LogicalType scalar : List.of(LogicalType.Integer, LogicalType.Float, LogicalType.Boolean)) {
            strict.coercionConfigFor(scalar).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        }
        for (CoercionInputShape scalar : List.of(CoercionInputShape.Integer, CoercionInputShape.Float,
                CoercionInputShape.Boolean)) {
            strict.coercionConfigFor(LogicalType.Textual).setCoercion(scalar, CoercionAction.Fail);
        }
        strict.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
        strict.registerModule(new SimpleModule("latchkey-strict-values")
                .addDeserializer(Instant.class, new TextualInstants())
                .addDeserializer(String.class, new WellFormedText()));
        strict.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(MAX_STRING_LENGTH).build());
        return strict;
    }

    /**
     * An instant as ISO-8601 text only, with {@code Z} or an offset, as the query side takes one: Jackson's own reader
     * also takes a number, or text of digits, as seconds since 1970, so that an expiry sent as a number of days would
     * pass for a time in January 1970; it trims spaces and control characters, and reads 24:00 as the next day and a
     * leap second as the one before it. The strict parser takes none of these.
     */
    private static final class TextualInstants extends StdScalarDeserializer<Instant> {

        TextualInstants() {
            super(Instant.class);
        }

        @Override
        public Instant deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            if (!parser.hasToken(JsonToken.VALUE_STRING)) {
                return (Instant) context.handleUnexpectedToken(Instant.class, parser);
            }
            String text = parser.getText();
            try {
                return OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException e) {
                return (Instant) context.handleWeirdStringValue(Instant.class, text, "not an ISO-8601 instant");
            }
        }
    }

    /**
     * Text that is well-formed UTF-16: a JSON escape can spell half a surrogate pair (<code>"\ud800"</code>), which no
     * character is, and which would be stored as U+FFFD, not as the text the answer repeated.
     */
    private static final class WellFormedText extends StdScalarDeserializer<String> {

        WellFormedText() {
            super(String.class);
        }

        @Override
        public LogicalType logicalType() {
            return LogicalType.Textual;
        }

        @Override
        public String deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            String text = StringDeserializer.instance.deserialize(parser, context);
            if (text != null && !wellFormed(text)) {
                throw new NotWellFormed(parser);
            }
            return text;
        }

        private static boolean wellFormed(String text) {
            for (int i = 0; i < text.length(); i++) {
                if (Character.isHighSurrogate(text.charAt(i)) && i + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(text.charAt(i))) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Text with half a surrogate pair; its message names no value. */
    private static final class NotWellFormed extends MismatchedInputException {

        NotWellFormed(JsonParser parser) {
            super(parser, "Text is not well-formed Unicode", String.class);
        }
    }

    /**
     * Reads JSON bodies with the strict mapper and writes nothing, placed ahead of Spring's own JSON converter, which
     * goes on writing every answer as before (the actuator's with its own mapper).
     */
    static final class StrictReader extends MappingJackson2HttpMessageConverter {

        StrictReader(ObjectMapper lenient) {
            super(strict(lenient));
        }

        @Override
        public Object read(Type type, Class<?> contextClass, HttpInputMessage input) throws IOException {
            try {
                return super.read(type, contextClass, input);
            } catch (HttpMessageNotReadableException e) {
                throw nameless(e, input);
            }
        }

        @Override
        protected Object readInternal(Class<?> type, HttpInputMessage input) throws IOException {
            try {
                return super.readInternal(type, input);
            } catch (HttpMessageNotReadableException e) {
                throw nameless(e, input);
            }
        }

        /**
         * Jackson's message quotes what it read (an unknown field's name may be a pasted key), and Spring MVC logs the
         * message at debug: the same failure, described by {@link #detail} instead.
         */
        private static HttpMessageNotReadableException nameless(HttpMessageNotReadableException e,
                                                                HttpInputMessage input) {
            return new HttpMessageNotReadableException(detail(e), e.getCause(), input);
        }

        @Override
        public boolean canWrite(Class<?> type, MediaType mediaType) {
            return false;
        }

        @Override
        public boolean canWrite(Type type, Class<?> contextClass, MediaType mediaType) {
            return false;
        }
    }

    /** What the client did wrong, in words that name no value it sent. */
    static String detail(HttpMessageNotReadableException e) {
        // Jackson wraps what fails inside a field (a time that does not parse, a number out of range) in an error
        // naming the field: the cause names the field, the root cause says what failed.
        Throwable cause = e.getCause();
        if (cause == null) {
            return "A JSON body is required.";
        }
        Throwable root = e.getMostSpecificCause();
        String field = cause instanceof JsonMappingException mapping ? path(mapping, 0) : "";
        String subject = field.isEmpty() ? "A value in the body" : field;
        if (root instanceof StreamConstraintsException limit) {
            return subject + (String.valueOf(limit.getMessage()).startsWith("String value length")
                    ? " is longer than " + MAX_STRING_LENGTH + " characters." : " is too long or too deeply nested.");
        }
        if (root instanceof InputCoercionException) {
            return subject + " is out of range.";
        }
        String message = root instanceof JsonProcessingException processing
                ? String.valueOf(processing.getOriginalMessage()) : String.valueOf(root.getMessage());
        if (root instanceof StreamReadException && message.startsWith(DUPLICATE) && message.endsWith("'")) {
            String name = message.substring(DUPLICATE.length(), message.length() - 1);
            String named = plain(name) ? "Field '" + (field.isEmpty() ? "" : field + ".") + name + "'" : "A field";
            return named + " appears more than once.";
        }
        if (root instanceof StreamReadException read && read.getLocation() != null) {
            JsonLocation at = read.getLocation();
            return "The body is not valid JSON (line " + at.getLineNr() + ", column " + at.getColumnNr() + ").";
        }
        if (cause instanceof UnrecognizedPropertyException unknown) {
            String name = unknown.getPropertyName();
            String parent = path(unknown, 1);
            String known = String.join(", ",
                    unknown.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList());
            String named = plain(name) ? "Unknown field '" + (parent.isEmpty() ? "" : parent + ".") + name + "'"
                    : "An unknown field";
            return named + (known.isEmpty() ? "." : "; the fields here are " + known + ".");
        }
        if (cause instanceof MismatchedInputException && message.startsWith("Trailing token")) {
            return "The body holds more than one JSON value.";
        }
        if (cause instanceof JsonMappingException mapping && !field.isEmpty()) {
            return field + " must be " + expected(mapping) + ".";
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
            return e instanceof NotWellFormed ? "well-formed Unicode text" : "text";
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
