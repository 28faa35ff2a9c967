package io.latchkey.support.store;

import com.mongodb.MongoServerException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import io.latchkey.support.web.ProblemAdvice;
import io.latchkey.support.web.ProblemException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.data.mongodb.UncategorizedMongoDbException;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * A store that cannot be reached (the embedded one's process down, a MongoDB without a primary) is a 503 the client
 * may retry, not an unexpected 500: no server to select in time, a connection that failed, or an embedded store that
 * H2 closed after a failed write, whose process is about to exit and be started again. Spring Data translates
 * other failures (a cursor that timed out) to the same exception type, and those stay 500s. Before
 * {@link ProblemAdvice}, whose catch-all would take them.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
class StoreUnavailableAdvice {

    private static final Logger log = LoggerFactory.getLogger(StoreUnavailableAdvice.class);
    private static final long LOG_EVERY_MILLIS = 60_000;

    private final AtomicLong loggedAt = new AtomicLong(-LOG_EVERY_MILLIS);

    @ExceptionHandler({MongoTimeoutException.class, MongoSocketException.class, MongoServerException.class,
            DataAccessResourceFailureException.class, UncategorizedMongoDbException.class})
    ResponseEntity<ProblemDetail> storeUnavailable(Exception e, HttpServletRequest request) {
        if (!unreachable(e)) {
            return ProblemAdvice.failedUnexpectedly(e);
        }
        // Every request fails alike while the store is away: its stack once a minute, not once a request.
        long now = System.currentTimeMillis();
        long last = loggedAt.get();
        if (now - last >= LOG_EVERY_MILLIS && loggedAt.compareAndSet(last, now)) {
            log.warn("The store cannot be reached; requests that need it are answered 503 meanwhile", e);
        }
        // A change whose connection failed may have been written before it did.
        boolean read = "GET".equals(request.getMethod()) || "HEAD".equals(request.getMethod());
        return ProblemAdvice.answer(new ProblemException(503, "store-unavailable", "Service unavailable", read
                ? "The store that holds this service's data cannot be reached; try again shortly."
                : "The store that holds this service's data could not be reached; the change may or may not have "
                        + "been made: read it before sending it again.", 2));
    }

    static boolean unreachable(Throwable e) {
        return EmbeddedMongoServer.anyCause(e, cause -> cause instanceof MongoTimeoutException
                || cause instanceof MongoSocketException
                || cause instanceof MongoServerException store && store.getCode() == IndexedH2Backend.CLOSED_CODE);
    }
}
