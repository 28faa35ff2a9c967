package io.latchkey.support.web;

import java.net.URI;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.lang.Nullable;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Every error leaves as {@code application/problem+json}: Spring MVC's own failures (malformed JSON, wrong method,
 * unknown path) through the base class, ours through {@link ProblemException}, anything unexpected as a 500 whose
 * body says nothing about internals.
 */
@RestControllerAdvice
public class ProblemAdvice extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemAdvice.class);
    private static final URI ABOUT_BLANK = URI.create("about:blank");

    /** Spring's answer names no field; this one names the field and what it takes, never the value sent. */
    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException e,
                                                                  HttpHeaders headers, HttpStatusCode status,
                                                                  WebRequest request) {
        if (causedBy(e, BoundedBody.TooLarge.class)) {
            ProblemDetail problem = Problems.of(413, RequestContextFilter.BODY_TOO_LARGE, "Content too large",
                    RequestContextFilter.BODY_TOO_LARGE_DETAIL);
            return handleExceptionInternal(e, problem, headers, HttpStatus.PAYLOAD_TOO_LARGE, request);
        }
        if (causedBy(e, BoundedBody.NotUtf8.class)) {
            ProblemDetail problem = Problems.of(415, RequestContextFilter.UNSUPPORTED_MEDIA_TYPE,
                    RequestContextFilter.UNSUPPORTED_MEDIA_TYPE_TITLE,
                    RequestContextFilter.UNSUPPORTED_MEDIA_TYPE_DETAIL);
            return handleExceptionInternal(e, problem, headers, HttpStatus.UNSUPPORTED_MEDIA_TYPE, request);
        }
        ProblemDetail problem = Problems.of(400, "unreadable-body", "Bad request", RequestBodies.detail(e));
        return handleExceptionInternal(e, problem, headers, HttpStatus.BAD_REQUEST, request);
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    /** The same answer as a form's, refused before it reaches Spring, whatever other type was sent. */
    @Override
    protected ResponseEntity<Object> handleHttpMediaTypeNotSupported(HttpMediaTypeNotSupportedException e,
                                                                     HttpHeaders headers, HttpStatusCode status,
                                                                     WebRequest request) {
        ProblemDetail problem = Problems.of(415, RequestContextFilter.UNSUPPORTED_MEDIA_TYPE,
                RequestContextFilter.UNSUPPORTED_MEDIA_TYPE_TITLE, RequestContextFilter.UNSUPPORTED_MEDIA_TYPE_DETAIL);
        return handleExceptionInternal(e, problem, headers, status, request);
    }

    /** Spring's detail repeats the path, which may hold a key sent in the wrong place. */
    @Override
    protected ResponseEntity<Object> handleNoResourceFoundException(NoResourceFoundException e, HttpHeaders headers,
                                                                    HttpStatusCode status, WebRequest request) {
        ProblemDetail problem = Problems.of(404, "no-such-endpoint", "Not found", "No endpoint answers this path. "
                + "Changes go to the command side and reads to the query side; README.md lists both.");
        return handleExceptionInternal(e, problem, headers, status, request);
    }

    /** Spring's other failures (wrong method, media type, missing parameter) get a type of ours, as every error has. */
    @Override
    protected ResponseEntity<Object> createResponseEntity(@Nullable Object body, HttpHeaders headers,
                                                          HttpStatusCode status, WebRequest request) {
        if (body instanceof ProblemDetail problem && ABOUT_BLANK.equals(problem.getType())) {
            HttpStatus known = HttpStatus.resolve(status.value());
            problem.setType(URI.create(Problems.TYPE_BASE
                    + (known == null ? "error" : known.name().toLowerCase(Locale.ROOT).replace('_', '-'))));
        }
        return super.createResponseEntity(body, headers, status, request);
    }

    @ExceptionHandler(ProblemException.class)
    ResponseEntity<ProblemDetail> problem(ProblemException e) {
        return answer(e);
    }

    /** The answer to {@code e}, for the advices of other packages too. */
    public static ResponseEntity<ProblemDetail> answer(ProblemException e) {
        ResponseEntity.BodyBuilder answer = ResponseEntity.status(e.problem().getStatus());
        if (e.retryAfterSeconds() != null) {
            answer.header(HttpHeaders.RETRY_AFTER, e.retryAfterSeconds().toString());
        }
        return answer.body(e.problem());
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        return failedUnexpectedly(e);
    }

    /** A 500 whose body says nothing about internals, the failure logged; for the advices of other packages too. */
    public static ResponseEntity<ProblemDetail> failedUnexpectedly(Exception e) {
        log.error("Unexpected failure", e);
        return ResponseEntity.internalServerError()
                .body(Problems.of(500, "internal", "Internal error", "The request failed unexpectedly."));
    }
}
