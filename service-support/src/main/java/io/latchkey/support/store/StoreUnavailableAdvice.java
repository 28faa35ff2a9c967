package io.latchkey.support.store;

import com.mongodb.MongoServerException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import io.axoniq.axonserver.connector.ErrorCategory;
import io.axoniq.axonserver.connector.impl.StreamClosedException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.latchkey.support.web.ProblemAdvice;
import io.latchkey.support.web.ProblemException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.axonframework.axonserver.connector.AxonServerException;
import org.axonframework.common.AxonException;
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
 * A store that cannot be reached (the embedded one's process down, a MongoDB without a primary, Axon Server away or
 * without a leader) is a 503 the client may retry, not an unexpected 500: no server to select in time, a connection
 * that failed, or an embedded store that H2 closed after a failed write, whose process is about to exit and be started
 * again. Spring Data and Axon wrap other failures (a cursor that timed out, a handler's exception) in the same
 * exception types, and those stay 500s. Before {@link ProblemAdvice}, whose catch-all would take them.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
class StoreUnavailableAdvice {

    private static final Logger log = LoggerFactory.getLogger(StoreUnavailableAdvice.class);
    private static final long LOG_EVERY_MILLIS = 60_000;

    /** What Axon Server's connector says when no Axon Server, or no leader of its event store, answers. */
    private static final Set<ErrorCategory> AXON_SERVER_AWAY =
            Set.of(ErrorCategory.CONNECTION_FAILED, ErrorCategory.NO_EVENT_STORE_MASTER_AVAILABLE);

    private final AtomicLong loggedAt = new AtomicLong(-LOG_EVERY_MILLIS);

    @ExceptionHandler({MongoTimeoutException.class, MongoSocketException.class, MongoServerException.class,
            DataAccessResourceFailureException.class, UncategorizedMongoDbException.class, AxonException.class,
            io.axoniq.axonserver.connector.AxonServerException.class, StreamClosedException.class,
            StatusRuntimeException.class, CompletionException.class})
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
                || cause instanceof MongoServerException store && store.getCode() == IndexedH2Backend.CLOSED_CODE
                || axonServerAway(cause));
    }

    /** Axon Server's connector fails a call it could not send with gRPC's UNAVAILABLE among the causes. */
    private static boolean axonServerAway(Throwable cause) {
        return cause instanceof StatusRuntimeException grpc && grpc.getStatus().getCode() == Status.Code.UNAVAILABLE
                || cause instanceof io.axoniq.axonserver.connector.AxonServerException axon
                && AXON_SERVER_AWAY.contains(axon.getErrorCategory())
                || cause instanceof AxonServerException axon
                && AXON_SERVER_AWAY.contains(ErrorCategory.getFromCode(axon.code()));
    }
}
