package io.latchkey.support.store;

import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import io.latchkey.support.web.ProblemAdvice;
import io.latchkey.support.web.ProblemException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * A store that cannot be reached (the embedded one's process down, a MongoDB without a primary) is a 503 the client
 * may retry, not an unexpected 500: the driver's failures, and Spring Data's translation of them. Before
 * {@link ProblemAdvice}, whose catch-all would take them.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
class StoreUnavailableAdvice {

    private static final Logger log = LoggerFactory.getLogger(StoreUnavailableAdvice.class);

    @ExceptionHandler({MongoTimeoutException.class, MongoSocketException.class,
            DataAccessResourceFailureException.class})
    ResponseEntity<ProblemDetail> storeUnavailable(RuntimeException e) {
        log.warn("The store could not be reached; the request is answered 503: {}", e.getMessage());
        return ProblemAdvice.answer(new ProblemException(503, "store-unavailable", "Service unavailable",
                "The store that holds this service's data cannot be reached; try again shortly.", 2));
    }
}
